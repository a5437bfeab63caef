"""A job's events on their way out of the process that trains it, sent in batches from a thread of their own.

The training thread only appends to an in-process queue (well under a microsecond); this thread waits up to
`linger` seconds for more events and sends them as one batch: one pickle and one pipe write for many events,
where a local worker used to pay both per event on its training thread's time.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

Event = tuple[str, str, dict[str, Any]]  # (run_id, kind, payload)
MAX_BATCH = 1000


class Outbox:
    """Events sent in order, batch after batch; every one of them sent when `close` returns."""

    def __init__(self, send: Callable[[list[Event]], None], linger: float = 0.0):
        self.send, self.linger, self.queue = send, linger, queue.SimpleQueue()
        self.thread = threading.Thread(target=self._pump, daemon=True, name="outbox")
        self.thread.start()

    def put(self, run_id: str, kind: str, payload: dict[str, Any]) -> None:
        self.queue.put((run_id, kind, payload))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()

    def _pump(self) -> None:
        done = False
        while not done:
            batch = [self.queue.get()]
            deadline = time.monotonic() + self.linger
            while batch[-1] is not None and len(batch) < MAX_BATCH:
                try:
                    batch.append(self.queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            done = batch[-1] is None
            events = [e for e in batch if e is not None]
            if events:
                self.send(events)
