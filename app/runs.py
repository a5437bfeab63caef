"""The run recorder: turns executor events into stored rows and live streams, and holds what the store refuses.

Writes go out in batches (every flush interval, and at once on a status change). While the database refuses
writes (read-only, full, locked, unreachable) the unwritten events and run updates stay in memory and every
flush retries them: status changes are never dropped, and events only past `max_unwritten_bytes`, oldest first.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from app.executor import EventBatch, OnEvents, ending
from app.history import DEFAULT_POINTS, History
from app.stream import Hub
from engine.events import dumps
from engine.lazy import lazy
from engine.status import TERMINAL, RunStatus

if TYPE_CHECKING:
    from app.store import RunRow, Store

log = logging.getLogger(__name__)
LOST = "the executor let go of this run without reporting its end"

db = lazy("app.store")  # SQLAlchemy: loaded with the database, after the server first answers (app/backend.py)


class RunManager:
    def __init__(self, store: Store, hub: Hub, flush_interval_s: float = 0.25,
                 max_unwritten_bytes: int = 64_000_000):
        self.store, self.hub = store, hub
        self.flush_interval_s = flush_interval_s
        self.max_unwritten_bytes = max_unwritten_bytes
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one write at a time: a failed one goes back under the newer updates
        self._events: list[tuple[str, int, str, str]] = []
        self._bytes = 0  # of the event data in _events
        self._updates: dict[str, dict[str, Any]] = {}
        self._totals: dict[str, int] = {}
        self._histories: dict[str, History] = {}
        self._endings: dict[str, tuple[RunStatus, str]] = {}  # runs told to stop for a reason of the server's own
        self.listeners: list[OnEvents] = []  # told of every batch once it is recorded (the sweeper)
        self.refused_since: float | None = None  # set while the store refuses writes
        self.dropped = 0  # events given up during outages longer than the memory bound
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, daemon=True, name="run-flusher")

    def start(self) -> None:
        self._flusher.start()

    def stop(self) -> None:
        self._stop.set()
        self.flush()

    # -- runs the service created ----------------------------------------------------------
    def open(self, rows: list[RunRow]) -> None:
        """A live stream for each run just stored; each begins with its queued status."""
        for row in rows:
            self.hub.open(row.id)
            self._totals[row.id] = row.total_steps or 0
        self.on_events([(row.id, "status", {"status": RunStatus.QUEUED, "message": "waiting for a worker"})
                        for row in rows])

    def forget(self, run_id: str) -> None:
        """A deleted run: its stream closes and nothing of it is written any more."""
        self.hub.drop(run_id)
        with self._lock:
            self._updates.pop(run_id, None)
            self._histories.pop(run_id, None)
            self._events = [e for e in self._events if e[0] != run_id]

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
            try:
                self.store.edit_run(run_id, history=view)
            except db.UNAVAILABLE:
                pass  # only a cache: the next reader rebuilds it
        return view

    def end_as(self, run_id: str, status: RunStatus, message: str) -> None:
        """The run is about to be stopped for this reason (a pruned trial): its stop is recorded as `status`."""
        with self._lock:
            self._endings[run_id] = (status, message)

    # -- what the executor reports ---------------------------------------------------------
    def on_events(self, batch: EventBatch) -> None:
        touched = set()
        status_changed = False
        recorded = []
        with self._lock:
            for run_id, kind, payload in batch:
                stream = self.hub.get(run_id)
                if stream is None or stream.closed:
                    continue  # a deleted run, or a worker's late events after its run was failed
                if kind in ("status", "done") and payload["status"] == RunStatus.STOPPED and run_id in self._endings:
                    status, message = self._endings[run_id]
                    payload = {**payload, "status": status, **({"message": message} if kind == "status" else {})}
                recorded.append((run_id, kind, payload))
                event = stream.append(kind, dumps(payload))
                self._events.append((run_id, event.seq, kind, event.data))
                self._bytes += len(event.data)
                self._histories.setdefault(run_id, History()).add(event.seq, kind, payload)
                self._apply(run_id, kind, payload)
                touched.add(run_id)
                status_changed |= kind in ("status", "done")
                if kind == "done":
                    stream.closed = True
                    self._endings.pop(run_id, None)
                    # the chart view is computed once, when the run ends, so opening it later parses nothing
                    fields = self._updates.setdefault(run_id, {})
                    fields["history"] = self._histories.pop(run_id).view(DEFAULT_POINTS)
        if status_changed:
            self.flush()  # the store knows a run's new status before any client hears of it
        for run_id in touched:
            stream = self.hub.get(run_id)
            if stream is not None:
                stream.wake()
        for listener in self.listeners:
            try:
                listener(recorded)
            except Exception:
                log.exception("an event listener failed")

    def on_released(self, run_ids: list[str]) -> None:
        """The executor holds these runs no more: one it let go of without a `done` ends here as failed."""
        lost = [rid for rid in run_ids if (stream := self.hub.get(rid)) is not None and not stream.closed]
        if lost:
            log.warning("runs %s were released without an end; marking them failed", ", ".join(lost))
            self.on_events(ending(lost, RunStatus.FAILED, LOST))

    def _apply(self, run_id: str, kind: str, payload: dict[str, Any]) -> None:
        fields = self._updates.setdefault(run_id, {})
        if kind == "status":
            fields["status"] = payload["status"]
            if RunStatus(payload["status"]).ended_early:
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
            if payload["status"] == RunStatus.COMPLETED:
                fields["progress"] = 1.0

    # -- writing ---------------------------------------------------------------------------
    def flush(self) -> None:
        with self._flushing:
            with self._lock:
                events, self._events = self._events, []
                updates, self._updates = self._updates, {}
                taken, self._bytes = self._bytes, 0
            try:
                self.store.write(events, updates)
            except db.UNAVAILABLE as exc:
                self._hold(events, updates, taken, exc)
                return
            except Exception:
                log.exception("could not write %d events; they are dropped", len(events))
            if self.refused_since is not None:
                log.warning("the database takes writes again; the events held meanwhile are stored")
                self.refused_since = None
            for run_id, fields in updates.items():
                if fields.get("status") in TERMINAL:
                    self._totals.pop(run_id, None)

    def _hold(self, events: list, updates: dict[str, dict[str, Any]], taken: int, exc: Exception) -> None:
        """Put a refused batch back in front of what came since, within the memory bound."""
        if self.refused_since is None:
            self.refused_since = time.monotonic()
            log.warning("the database refuses writes (%s); holding events in memory and retrying",
                        getattr(exc, "orig", None) or exc)
        with self._lock:
            self._events = events + self._events
            self._bytes += taken
            for run_id, fields in updates.items():
                self._updates[run_id] = {**fields, **self._updates.get(run_id, {})}
            cut = 0
            while self._bytes > self.max_unwritten_bytes and cut < len(self._events):
                self._bytes -= len(self._events[cut][3])
                cut += 1
            if cut:
                del self._events[:cut]
                self.dropped += cut
                log.warning("over %d bytes of events wait for the database; dropped the oldest %d",
                            self.max_unwritten_bytes, cut)

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.flush_interval_s):
            self.flush()
