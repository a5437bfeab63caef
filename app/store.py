"""Runs and their events in SQL (SQLAlchemy 2; a SQLite file by default)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    and_,
    cast,
    create_engine,
    event,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.exc import InternalError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from app import jobs, schema
from app.listing import RunFilter
from engine.events import dumps
from engine.status import ACTIVE, RunStatus

# what a database that cannot take writes now raises (read-only, full, locked, unreachable; PostgreSQL's
# read-only transaction is an InternalError): callers hold the data and retry, or answer 503
UNAVAILABLE = (OperationalError, InternalError)
INTERRUPTED = "the server stopped while this run was active"


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
    # the server default fills the column in the rows of a database from before it (migration 0002)
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

    def listed(self) -> dict:
        """The race as the races list (page and API) shows it."""
        return {"id": self.id, "name": self.name, "mode": self.mode, "run_ids": self.run_ids, "labels": self.labels,
                "created": self.created.isoformat() + "Z"}


class SweepRow(Base):
    """A search over a base config (an Optuna study of the same id), each trial a separate run."""

    __tablename__ = "sweeps"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    base: Mapped[dict] = mapped_column(JSON)
    space: Mapped[dict] = mapped_column(JSON)
    # [{"run_id", "values": {path: value}, "number": the Optuna trial's, "retried": when a restart cut it off}]
    trials: Mapped[list] = mapped_column(JSON)
    metric: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(Integer)
    created: Mapped[dt.datetime] = mapped_column(DateTime)
    # {"sampler", "pruner", "planned": trials to run, "state": "running" or "done"}; null: a sweep from before
    # Optuna, whose trials were all drawn at once
    search: Mapped[dict | None] = mapped_column(JSON)

    def listed(self) -> dict:
        """The sweep as the sweeps list (page and API) shows it."""
        search = self.search or {"planned": len(self.trials), "state": "done"}
        return {"id": self.id, "name": self.name, "metric": self.metric, "paths": list(self.space),
                "planned": search["planned"], "drawn": len(self.trials), "state": search["state"],
                "created": self.created.isoformat() + "Z"}


def _clauses(where: RunFilter) -> list:
    """The filter in SQL."""
    config = RunRow.config
    paths = {"dataset": "dataset", "network": "model", "optimizer": "optimizer"}
    found = [config[section]["name"].as_string() == getattr(where, key)
             for key, section in paths.items() if getattr(where, key)]
    if where.status:
        found.append(RunRow.status == where.status.value)
    if where.tag:
        found.append(_has_tag(where.tag))
    if where.kind and where.kind != "any":
        found.append(_KIND[where.kind]())
    return found


def _has_tag(tag: str):
    # tags are a JSON list of strings: its text holds the tag's own JSON, quotes included, only as an element
    pattern = "".join("\\" + c if c in "\\%_" else c for c in json.dumps(tag))
    return cast(RunRow.tags, Text).like(f"%{pattern}%", escape="\\")


def _is_lr_range():
    return func.coalesce(RunRow.config["schedule"]["name"].as_string(), "") == jobs.LR_RANGE


# what app/jobs.py's kind_of() says of a row, in SQL, so that the runs list is filtered before it is paged
_KIND = {
    jobs.LANDSCAPE: lambda: _has_tag(jobs.LANDSCAPE),
    jobs.LR_RANGE: lambda: and_(not_(_has_tag(jobs.LANDSCAPE)), _is_lr_range()),
    "run": lambda: and_(not_(_has_tag(jobs.LANDSCAPE)), not_(_is_lr_range())),
}


class Store:
    def __init__(self, url: str):
        self.engine = connect(url)
        schema.upgrade(self.engine)  # a database from an older version is brought to this one's schema
        self._write_lock = threading.Lock()  # SQLite takes one writer at a time; queue ours here

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def add_run(self, row: RunRow) -> None:
        self.add_all([row])

    def add_all(self, rows: list[Base]) -> None:
        """Rows in one transaction: a race's or a sweep's runs and its own row are stored together or not at all."""
        with self._write_lock, self.session() as s:
            s.add_all(rows)
            s.commit()

    def get_run(self, run_id: str) -> RunRow | None:
        with self.session() as s:
            return s.get(RunRow, run_id)

    def get_comparison(self, comparison_id: str) -> ComparisonRow | None:
        with self.session() as s:
            return s.get(ComparisonRow, comparison_id)

    def get_sweep(self, sweep_id: str) -> SweepRow | None:
        with self.session() as s:
            return s.get(SweepRow, sweep_id)

    def active_sweeps(self) -> list[SweepRow]:
        with self.session() as s:
            return [row for row in s.scalars(select(SweepRow).where(SweepRow.search.is_not(None)))
                    if row.search.get("state") == "running"]

    def edit_sweep(self, sweep_id: str, *, trials: list[dict] | None = None, **search: Any) -> None:
        """Append trials to a sweep and update its search fields, in one transaction."""
        with self._write_lock, self.session() as s:
            row = s.get(SweepRow, sweep_id)
            if row is None:
                return
            if trials:
                row.trials = [*row.trials, *trials]
            if search:
                row.search = {**row.search, **search}
            s.commit()

    def mark_retried(self, sweep_id: str, numbers: set[int]) -> None:
        with self._write_lock, self.session() as s:
            row = s.get(SweepRow, sweep_id)
            row.trials = [{**t, "retried": True} if t.get("number") in numbers else t for t in row.trials]
            s.commit()

    def get_history(self, run_id: str) -> dict | None:
        with self.session() as s:
            return s.scalar(select(RunRow.history).where(RunRow.id == run_id))

    def list_runs(self, where: RunFilter | None = None, limit: int = 500, offset: int = 0) -> list[RunRow]:
        """Newest first, filtered in SQL, then paged."""
        query = select(RunRow).where(*(_clauses(where) if where else []))
        query = query.order_by(RunRow.created.desc(), RunRow.id.desc()).limit(limit).offset(offset)
        with self.session() as s:
            return list(s.scalars(query))

    def jobs_of(self, run_ids: list[str]) -> dict[str, list[RunRow]]:
        """The landscapes and LR range tests of each of these runs, oldest first."""
        if not run_ids:
            return {}
        config = RunRow.config
        about = or_(*(_has_tag(jobs.landscape_of(i)) for i in run_ids),
                    and_(_is_lr_range(), config["start_from"]["run"].as_string().in_(run_ids)))
        found: dict[str, list[RunRow]] = {}
        with self.session() as s:
            for row in s.scalars(select(RunRow).where(about).order_by(RunRow.created, RunRow.id)):
                found.setdefault(jobs.parent_of(row.tags or [], row.config), []).append(row)
        return found

    def list_comparisons(self, limit: int = 100, offset: int = 0) -> list[ComparisonRow]:
        with self.session() as s:
            query = select(ComparisonRow).order_by(ComparisonRow.created.desc(), ComparisonRow.id.desc())
            return list(s.scalars(query.limit(limit).offset(offset)))

    def list_sweeps(self, limit: int = 100, offset: int = 0) -> list[SweepRow]:
        with self.session() as s:
            query = select(SweepRow).order_by(SweepRow.created.desc(), SweepRow.id.desc())
            return list(s.scalars(query.limit(limit).offset(offset)))

    def groups_of(self, run_id: str) -> tuple[ComparisonRow | None, SweepRow | None]:
        """The race and the sweep a run is a member or a trial of (run ids are 12 hex digits: their quoted JSON
        text appears in a row's id lists only as that run)."""
        quoted = json.dumps(run_id)
        with self.session() as s:
            race = s.scalars(select(ComparisonRow).where(cast(ComparisonRow.run_ids, Text).contains(quoted))).first()
            sweep = s.scalars(select(SweepRow).where(cast(SweepRow.trials, Text).contains(quoted))).first()
        return race, sweep

    def choices(self) -> dict[str, list[str]]:
        """The values the runs list can be filtered by: every data set, network, optimizer and tag in use."""
        config = RunRow.config
        with self.session() as s:
            found = {key: sorted(v for v in s.scalars(select(config[section]["name"].as_string()).distinct()) if v)
                     for key, section in (("dataset", "dataset"), ("network", "model"), ("optimizer", "optimizer"))}
            found["tag"] = sorted({t for tags in s.scalars(select(RunRow.tags)) for t in tags or []})
        return found

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

    def steers(self, run_id: str) -> list[dict[str, Any]]:
        """The run's `steer` events ({step, values}), in order: what its export and its continuation replay."""
        with self.session() as s:
            query = select(EventRow.data).where(EventRow.run_id == run_id, EventRow.kind == "steer")
            return [json.loads(d) for d in s.scalars(query.order_by(EventRow.seq))]

    def metrics(self, run_id: str) -> list[dict[str, Any]]:
        return [_flatten(json.loads(d)) for d in self.metric_texts(run_id)]

    def metric_texts(self, run_id: str) -> list[str]:
        """The run's metrics events as stored (JSON texts), in order: what an export cuts its rows from."""
        query = select(EventRow.data).where(EventRow.run_id == run_id, EventRow.kind == "metrics")
        with self.engine.connect() as connection:  # no ORM session: 200 000 rows come back as plain strings
            return list(connection.scalars(query.order_by(EventRow.seq)))

    def mark_interrupted(self) -> list[str]:
        """Runs left active by a server that died: they cannot be running now. Each history ends as a live run's
        does, with a status and a done event, so a stream of it ends saying interrupted."""
        status = RunStatus.INTERRUPTED
        with self._write_lock, self.session() as s:
            ids = list(s.scalars(select(RunRow.id).where(RunRow.status.in_(ACTIVE))))
            if ids:
                last = dict(s.execute(select(EventRow.run_id, func.max(EventRow.seq))
                                      .where(EventRow.run_id.in_(ids)).group_by(EventRow.run_id)).all())
                s.execute(update(RunRow).where(RunRow.id.in_(ids)).values(status=status, error=INTERRUPTED))
                for run_id in ids:
                    seq = last.get(run_id) or 0
                    s.add(EventRow(run_id=run_id, seq=seq + 1, kind="status",
                                   data=dumps({"status": status, "message": INTERRUPTED})))
                    s.add(EventRow(run_id=run_id, seq=seq + 2, kind="done",
                                   data=dumps({"status": status, "summary": {}})))
                s.commit()
            return ids


def _flatten(payload: dict[str, Any]) -> dict[str, Any]:
    return {"step": payload["step"], "epoch": payload["epoch"], "time": payload["time"], **payload["values"]}


def connect(url: str) -> Engine:
    """An engine for a SQLAlchemy URL: a SQLite file (its folder made) or a server such as PostgreSQL."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    sqlite = url.startswith("sqlite")
    # NaN/Inf stored as null: PostgreSQL's json type refuses them (a diverged run's summary has them)
    engine = create_engine(url, connect_args={"check_same_thread": False} if sqlite else {}, pool_pre_ping=not sqlite,
                           json_serializer=dumps)
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
