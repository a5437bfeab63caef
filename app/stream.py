"""Fan-out of a run's events to any number of SSE subscribers, across the worker-reader thread and asyncio."""

from __future__ import annotations

import asyncio
import collections
import functools
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StreamEvent:
    seq: int
    kind: str
    data: str  # strict JSON, serialized once for every subscriber

    @functools.cached_property
    def wire(self) -> bytes:
        """The event as it goes on the wire, encoded once however many clients watch."""
        return f"id: {self.seq}\nevent: {self.kind}\ndata: {self.data}\n\n".encode()


class LiveStream:
    """Every event of one live run, in order; seq n is events[n - 1]."""

    def __init__(self, first_seq: int = 1):
        self.first_seq = first_seq
        self.events: list[StreamEvent] = []
        self.closed = False
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    @property
    def last_seq(self) -> int:
        return self.first_seq - 1 + len(self.events)

    def append(self, kind: str, data: str) -> StreamEvent:
        with self._lock:
            event = StreamEvent(self.last_seq + 1, kind, data)
            self.events.append(event)
            return event

    def close(self) -> None:
        with self._lock:
            self.closed = True
        self.wake()

    def wake(self) -> None:
        """Called once per batch by the publisher: each waiting subscriber wakes in its own loop."""
        with self._lock:
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)

    def after(self, seq: int) -> list[StreamEvent]:
        with self._lock:
            return self.events[max(0, seq - self.first_seq + 1) :]

    async def wait(self, seq: int, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.closed or self.last_seq > seq:
                return
            future = loop.create_future()
            self._waiters.append((loop, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


class Hub:
    """Live streams by run id; finished ones are kept a while (they replay faster than the store)."""

    def __init__(self, keep_finished: int = 32) -> None:
        self.streams: dict[str, LiveStream] = {}
        self.keep_finished = keep_finished
        self.subscribers: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def open(self, run_id: str, first_seq: int = 1) -> LiveStream:
        with self._lock:
            finished = [key for key, stream in self.streams.items() if stream.closed]
            for key in finished[: max(0, len(finished) - self.keep_finished)]:
                del self.streams[key]  # dicts keep insertion order: the oldest go first
            stream = self.streams[run_id] = LiveStream(first_seq)
            return stream

    def get(self, run_id: str) -> LiveStream | None:
        return self.streams.get(run_id)

    def drop(self, run_id: str) -> None:
        with self._lock:
            stream = self.streams.pop(run_id, None)
        if stream:
            stream.close()

    async def follow(
        self, run_id: str, after: int, stored: Callable[[int], Awaitable[list[StreamEvent]]], heartbeat: float = 15.0
    ) -> AsyncIterator[list[StreamEvent]]:
        """Batches of every event after `after`, then live ones until the run is done; [] is a heartbeat."""
        self.subscribers[run_id] += 1
        try:
            async for batch in self._follow(run_id, after, stored, heartbeat):
                yield batch
        finally:
            self.subscribers[run_id] -= 1

    async def _follow(self, run_id, after, stored, heartbeat):
        stream = self.get(run_id)
        if stream is None or after < stream.first_seq - 1:
            # a finished run, or a resumed one whose earlier events live only in the store
            batch = await stored(after)
            if batch:
                yield batch
                after = batch[-1].seq
            if stream is None:
                return
        while True:
            batch = stream.after(after)
            if batch:
                yield batch  # a waking subscriber sends all it missed in one write
                after = batch[-1].seq
            if stream.closed and after >= stream.last_seq:
                return
            before = after
            await stream.wait(after, heartbeat)
            if stream.last_seq == before and not stream.closed:
                yield []
