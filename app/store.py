"""Runs and their events in SQL (SQLAlchemy 2; a SQLite file by default)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, create_engine, event, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from app.migrate import upgrade

ACTIVE = ("queued", "running", "paused")
TERMINAL = ("completed", "stopped", "diverged", "failed", "interrupted")


class Base(DeclarativeBase):
    pass


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    config: Mapped[dict] = mapped_column(JSON)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    total_steps: Mapped[int | None] = mapped_column(Integer)
    device: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # the server default lets app.migrate add the column to an older database's rows
    tags: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # the chart view, kept when the run ends; deferred: lists and pages never load it
    history: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class EventRow(Base):
    __tablename__ = "events"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    data: Mapped[str] = mapped_column(Text)


class ComparisonRow(Base):
    """A race: member runs trained side by side, and how (batched in one process, or separate runs)."""

    __tablename__ = "comparisons"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    base: Mapped[dict] = mapped_column(JSON)
    variants: Mapped[list] = mapped_column(JSON)
    run_ids: Mapped[list] = mapped_column(JSON)
    labels: Mapped[list] = mapped_column(JSON)
    mode: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(DateTime)


class SweepRow(Base):
    """A random search: trials sampled from a space over a base config, each a separate run."""

    __tablename__ = "sweeps"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    base: Mapped[dict] = mapped_column(JSON)
    space: Mapped[dict] = mapped_column(JSON)
    trials: Mapped[list] = mapped_column(JSON)  # [{"run_id", "values": {path: value}}] in sampling order
    metric: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(Integer)
    created: Mapped[dt.datetime] = mapped_column(DateTime)


def public(row: RunRow) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "status": row.status, "progress": round(row.progress, 4),
        "created": row.created.isoformat() + "Z", "config": row.config, "summary": row.summary,
        "error": row.error, "device": row.device, "total_steps": row.total_steps, "tags": row.tags or [],
        "parent": (row.config.get("start_from") or {}).get("run"),
    }


class Store:
    def __init__(self, url: str):
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(url, connect_args={"check_same_thread": False} if url.startswith("sqlite") else {})
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        upgrade(self.engine, Base.metadata)  # a database from an older version gains the new tables and columns
        self._write_lock = threading.Lock()  # SQLite takes one writer at a time; queue ours here

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def add_run(self, row: RunRow) -> None:
        with self._write_lock, self.session() as s:
            s.add(row)
            s.commit()

    def get_run(self, run_id: str) -> RunRow | None:
        with self.session() as s:
            return s.get(RunRow, run_id)

    def add_comparison(self, row: ComparisonRow) -> None:
        with self._write_lock, self.session() as s:
            s.add(row)
            s.commit()

    def get_comparison(self, comparison_id: str) -> ComparisonRow | None:
        with self.session() as s:
            return s.get(ComparisonRow, comparison_id)

    def add_sweep(self, row: SweepRow) -> None:
        with self._write_lock, self.session() as s:
            s.add(row)
            s.commit()

    def get_sweep(self, sweep_id: str) -> SweepRow | None:
        with self.session() as s:
            return s.get(SweepRow, sweep_id)

    def get_history(self, run_id: str) -> dict | None:
        with self.session() as s:
            return s.scalar(select(RunRow.history).where(RunRow.id == run_id))

    def list_runs(self, limit: int = 500) -> list[RunRow]:
        with self.session() as s:
            return list(s.scalars(select(RunRow).order_by(RunRow.created.desc()).limit(limit)))

    def edit_run(self, run_id: str, **fields: Any) -> None:
        with self._write_lock, self.session() as s:
            s.execute(update(RunRow).where(RunRow.id == run_id).values(**fields))
            s.commit()

    def delete_run(self, run_id: str) -> None:
        with self._write_lock, self.session() as s:
            s.query(EventRow).filter(EventRow.run_id == run_id).delete()
            s.query(RunRow).filter(RunRow.id == run_id).delete()
            s.commit()

    def write(self, events: Iterable[tuple[str, int, str, str]], updates: dict[str, dict[str, Any]]) -> None:
        """One transaction for a batch: new events (run_id, seq, kind, data) and run field updates."""
        events = list(events)
        if not events and not updates:
            return
        with self._write_lock, self.session() as s:
            existing = set(s.scalars(select(RunRow.id).where(RunRow.id.in_({e[0] for e in events} | set(updates)))))
            s.add_all(EventRow(run_id=r, seq=q, kind=k, data=d) for r, q, k, d in events if r in existing)
            for run_id, fields in updates.items():
                if run_id in existing and fields:  # an empty SET is not SQL
                    s.execute(update(RunRow).where(RunRow.id == run_id).values(**fields))
            s.commit()

    def events_after(self, run_id: str, after: int) -> list[EventRow]:
        with self.session() as s:
            query = select(EventRow).where(EventRow.run_id == run_id, EventRow.seq > after).order_by(EventRow.seq)
            return list(s.scalars(query))

    def metrics(self, run_id: str) -> list[dict[str, Any]]:
        with self.session() as s:
            query = select(EventRow.data).where(EventRow.run_id == run_id, EventRow.kind == "metrics")
            return [_flatten(json.loads(d)) for d in s.scalars(query.order_by(EventRow.seq))]

    def mark_interrupted(self) -> list[str]:
        """Runs left active by a server that died: they cannot be running now."""
        with self._write_lock, self.session() as s:
            ids = list(s.scalars(select(RunRow.id).where(RunRow.status.in_(ACTIVE))))
            if ids:
                s.execute(update(RunRow).where(RunRow.id.in_(ids)).values(
                    status="interrupted", error="the server stopped while this run was active"))
                s.commit()
            return ids


def _flatten(payload: dict[str, Any]) -> dict[str, Any]:
    return {"step": payload["step"], "epoch": payload["epoch"], "time": payload["time"], **payload["values"]}


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
