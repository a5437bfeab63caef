"""A job's events on their way out of the process that trains it, sent in batches from a thread of their own.

The training thread only appends to an in-process queue (well under a microsecond); this thread sends what came
as one batch: one pickle and one pipe write for many events, where a local worker used to pay both per event on
its training thread's time. The first event after a quiet spell (a single step's) goes out at once; while events
flow, the thread sleeps between batches, 10 ms after the first and twice as long each time up to `linger` (a run's
status and its first point do not wait a whole linger), so it wakes once a batch, not once an event: every wake
takes the GIL from the training thread, which then waits to get it back. When a sleep brought nothing, it waits
for the next event.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

Event = tuple[str, str, dict[str, Any]]  # (run_id, kind, payload)
MAX_BATCH = 1000
FIRST_PAUSE = 0.01  # seconds: the pump's first sleep after a quiet spell; each next one doubles, up to the linger


class Outbox:
    """Events sent in order, batch after batch; every one of them sent when `close` returns."""

    def __init__(self, send: Callable[[list[Event]], None], linger: float = 0.0):
        self.send, self.linger, self.queue = send, linger, queue.SimpleQueue()
        self.closing = threading.Event()  # ends a linger early: the last batch goes out at once
        self.thread = threading.Thread(target=self._pump, daemon=True, name="outbox")
        self.thread.start()

    def put(self, run_id: str, kind: str, payload: dict[str, Any]) -> None:
        self.queue.put((run_id, kind, payload))

    def close(self) -> None:
        self.queue.put(None)
        self.closing.set()
        self.thread.join()

    def _pump(self) -> None:
        idle, closed, pause = True, False, 0.0
        while not closed:
            batch = []
            if idle:  # the last sleep brought no event: wait for one, and send it (with any beside it) at once
                batch.append(self.queue.get())
                closed = batch[0] is None
                pause = 0.0
            elif self.linger:
                pause = min(self.linger, max(FIRST_PAUSE, 2 * pause))
                self.closing.wait(pause)  # while events flow, this is the pump's one wake a batch
            while not closed:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
                closed = batch[-1] is None
            events = batch[:-1] if closed else batch
            for start in range(0, len(events), MAX_BATCH):
                self.send(events[start:start + MAX_BATCH])
            idle = not events
