"""The run manager: creates runs, turns worker events into stored rows and live streams, applies controls."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from typing import Any

from app.executor import EventBatch, Executor
from app.history import DEFAULT_POINTS, History
from app.store import TERMINAL, RunRow, Store
from app.stream import Hub
from engine.config import RunConfig
from engine.events import dumps

log = logging.getLogger(__name__)


class RunManager:
    def __init__(self, store: Store, hub: Hub, flush_interval_s: float = 0.25):
        self.store, self.hub = store, hub
        self.executor: Executor | None = None
        self.flush_interval_s = flush_interval_s
        self._lock = threading.Lock()
        self._events: list[tuple[str, int, str, str]] = []
        self._updates: dict[str, dict[str, Any]] = {}
        self._totals: dict[str, int] = {}
        self._histories: dict[str, History] = {}
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, daemon=True, name="run-flusher")

    def start(self, executor: Executor) -> None:
        self.executor = executor
        self._flusher.start()

    def stop(self) -> None:
        self._stop.set()
        self.flush()

    # -- commands from the API -------------------------------------------------------------
    def create(self, config: RunConfig, total_steps: int, submit: bool = True) -> RunRow:
        run_id = uuid.uuid4().hex[:12]
        row = RunRow(
            id=run_id, name=config.name, status="queued", config=config.model_dump(mode="json"),
            progress=0.0, total_steps=total_steps, created=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
        self.store.add_run(row)
        self.hub.open(run_id)
        self._totals[run_id] = total_steps
        self.on_events([(run_id, "status", {"status": "queued", "message": "waiting for a worker"})])
        if submit:
            self.executor.submit(run_id, row.config)
        return row

    def control(self, run_id: str, action: str) -> bool:
        return self.executor.control(run_id, action)

    def delete(self, run_id: str) -> None:
        self.executor.control(run_id, "stop")
        self.hub.drop(run_id)
        with self._lock:
            self._updates.pop(run_id, None)
            self._histories.pop(run_id, None)
            self._events = [e for e in self._events if e[0] != run_id]
        self.store.delete_run(run_id)

    def history_view(self, run_id: str, max_points: int) -> dict[str, Any]:
        """The chart view of a run: from its live columns, else rebuilt from the store (and kept)."""
        with self._lock:
            live = self._histories.get(run_id)
            if live is not None:
                return live.view(max_points)
        history = History.from_events(self.store.events_after(run_id, 0))
        view = history.view(max_points)
        row = self.store.get_run(run_id)
        if row is not None and row.status in TERMINAL and max_points == DEFAULT_POINTS:
            self.store.edit_run(run_id, history=view)
        return view

    # -- events from the workers (reader thread) -------------------------------------------
    def on_events(self, batch: EventBatch) -> None:
        touched = set()
        status_changed = False
        with self._lock:
            for run_id, kind, payload in batch:
                stream = self.hub.get(run_id)
                if stream is None or stream.closed:
                    continue  # a deleted run, or a worker's late events after its run was failed
                event = stream.append(kind, dumps(payload))
                self._events.append((run_id, event.seq, kind, event.data))
                self._histories.setdefault(run_id, History()).add(event.seq, kind, payload)
                self._apply(run_id, kind, payload)
                touched.add(run_id)
                status_changed |= kind in ("status", "done")
                if kind == "done":
                    stream.closed = True
                    # the chart view is computed once, when the run ends, so opening it later parses nothing
                    fields = self._updates.setdefault(run_id, {})
                    fields["history"] = self._histories.pop(run_id).view(DEFAULT_POINTS)
        if status_changed:
            self.flush()  # the store knows a run's new status before any client hears of it
        for run_id in touched:
            stream = self.hub.get(run_id)
            if stream is not None:
                stream.wake()

    def _apply(self, run_id: str, kind: str, payload: dict[str, Any]) -> None:
        fields = self._updates.setdefault(run_id, {})
        if kind == "status":
            fields["status"] = payload["status"]
            if payload["status"] in ("failed", "diverged", "stopped"):
                fields["error"] = payload.get("message")  # why it ended early, for the page and the API
            for key in ("device", "total_steps"):
                if key in payload:
                    fields[key] = payload[key]
            if "total_steps" in payload:
                self._totals[run_id] = payload["total_steps"]
        elif kind == "metrics":
            total = self._totals.get(run_id) or 1
            fields["progress"] = min(1.0, payload["step"] / total)
        elif kind == "done":
            fields["status"] = payload["status"]
            fields["summary"] = payload.get("summary") or {}
            if payload["status"] == "completed":
                fields["progress"] = 1.0

    def flush(self) -> None:
        with self._lock:
            events, self._events = self._events, []
            updates, self._updates = self._updates, {}
        try:
            self.store.write(events, updates)
        except Exception:
            log.exception("could not write %d events", len(events))
        for run_id, fields in updates.items():
            if fields.get("status") in TERMINAL:
                self._totals.pop(run_id, None)

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.flush_interval_s):
            self.flush()
