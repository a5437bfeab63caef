"""The two Ray actors of the cluster executor: a JobActor trains one job at a time (app/executor/job.py, as a
local worker does) and an EventSink holds the jobs' events until the server's reader takes them.

Imported only when DESCENT_EXECUTOR=ray, and by Ray's worker processes.
"""

from __future__ import annotations

import asyncio
import collections
import os
import threading
from typing import Any

import ray

from app.executor import job
from app.executor.outbox import Outbox
from engine.control import RUN, Control, Value


@ray.remote(num_cpus=0)
class EventSink:
    """Events of every job, in the order each job pushed them; `pull` waits for some instead of being polled."""

    def __init__(self) -> None:
        self.items: collections.deque = collections.deque()
        self.arrived: asyncio.Event | None = None  # made on the actor's event loop, in the first call

    def _event(self) -> asyncio.Event:
        if self.arrived is None:
            self.arrived = asyncio.Event()
        return self.arrived

    async def push(self, events: list[tuple[str, str, dict[str, Any]]]) -> None:
        self.items.extend(events)
        self._event().set()

    async def wake(self) -> None:
        """End a waiting pull now (it returns what there is, maybe nothing)."""
        self._event().set()

    async def pull(self, most: int, timeout: float) -> list[tuple[str, str, dict[str, Any]]]:
        arrived = self._event()
        if not self.items and timeout > 0:
            try:
                await asyncio.wait_for(arrived.wait(), timeout)
            except TimeoutError:
                pass
        arrived.clear()
        return [self.items.popleft() for _ in range(min(most, len(self.items)))]


class Switch:
    """The controls of the job an actor runs, as the server holds them. Each setting comes with (job number,
    version); an older one than the one in force is ignored, so calls that overtake each other (or the job's
    own start) cannot undo a newer one."""

    def __init__(self) -> None:
        self.state, self.tokens = Value(RUN), Value(0)
        self.latest = (-1, -1)
        self.lock = threading.Lock()

    def set(self, number: int, version: int, state: int, tokens: int) -> None:
        with self.lock:
            if (number, version) > self.latest:
                self.latest = (number, version)
                self.state.value, self.tokens.value = state, tokens


@ray.remote(max_concurrency=2, max_restarts=0)  # one thread trains; the other takes the controls meanwhile
class JobActor:
    def __init__(self, threads: int, data_dir: str, gpu_fraction: float) -> None:
        import torch

        from engine import devices

        torch.set_num_threads(threads)
        # Ray shows the actor only its own GPU (index 0). Its GPU share is only bookkeeping: the cap on torch's
        # CUDA memory, set with the first run that uses the GPU, is what keeps a job inside its share
        devices.assign(0, gpu_fraction or None)
        job.configure(data_dir)
        self.data_dir, self.switch = data_dir, Switch()

    def ready(self) -> dict[str, Any]:
        """The process and the device "auto" picks here, as a local worker reports them."""
        from engine import devices

        return {"pid": os.getpid(), "node": ray.util.get_node_ip_address(), **devices.describe()}

    def steer(self, number: int, version: int, state: int, tokens: int) -> None:
        self.switch.set(number, version, state, tokens)

    def run(self, number: int, run_ids: list[str], payload: dict[str, Any], sink: Any, state: int,
            tokens: int) -> bool:
        """Train a job; True when this actor can take the next one (False: a sticky CUDA error spoilt it)."""
        self.switch.set(number, 0, state, tokens)
        control = Control(self.switch.state, self.switch.tokens, max_seconds=payload.get("max_seconds"))
        control.used = 0  # tokens count this job's steps from zero
        outbox = Outbox(lambda events: ray.get(sink.push.remote(events)))
        try:
            return job.run(run_ids, payload, outbox.put, control, self.data_dir)
        finally:
            outbox.close()
