"""The worker process: imports torch once, then trains one job at a time from its inbox."""

from __future__ import annotations

import ctypes
import logging
import os
import queue
import signal
import sys
from typing import Any

READY, IDLE, EVENTS = "__ready__", "__idle__", "__events__"
# seconds an event may wait for others to share its pickle and pipe write, while events flow (a quiet spell's first
# event goes at once): 10 batches a second instead of 50 cut the web process's CPU beside a run (each batch is an
# unpickle, a hub wake and an SSE write) and the worker's wakes by five
LINGER = 0.1
# a worker whose CUDA context a sticky error poisoned: it says LEFT (idle, but take no job) and exits with POISONED
LEFT, POISONED = "__left__", 3


def worker_main(
    index: int, inbox: Any, outbox: Any, state: Any, tokens: Any, threads: int, data_dir: str = "data",
    memory_fraction: float | None = None, steering: Any = None,
) -> None:
    _die_with_parent()
    import torch

    torch.set_num_threads(threads)
    from app.executor import job as jobs
    from app.executor.outbox import Outbox
    from engine import devices
    from engine.control import Control, Steering

    jobs.configure(data_dir)
    logging.basicConfig(level=os.environ.get("DESCENT_LOG_LEVEL", "WARNING"))
    devices.assign(index, memory_fraction)
    outbox.put((READY, index, {"pid": os.getpid(), **devices.describe()}))
    parent = os.getppid()
    while True:
        try:
            job = inbox.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:
                return  # the server is gone; nobody would read our events
            continue
        if job is None:
            return
        run_ids, payload = job
        control = Control(state, tokens, max_seconds=payload.get("max_seconds"),
                          steering=None if steering is None else Steering(steering))
        control.used = 0  # the pool zeroes tokens before handing over a job
        events = Outbox(lambda batch: outbox.put((EVENTS, batch)), LINGER)
        try:
            usable = jobs.run(run_ids, payload, events.put, control, data_dir)
        finally:
            events.close()  # every event of the job is on its way before the pool hears the worker is free
        if not usable:
            _leave(outbox, index, run_ids[0])
        outbox.put((IDLE, index, run_ids[0]))


def _leave(outbox: Any, index: int, run_id: str) -> None:
    """Every later CUDA call in this process would fail too: end it, and the pool starts a fresh one."""
    outbox.put((LEFT, index, run_id))
    sys.exit(POISONED)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the server dies, even by SIGKILL: no orphan keeps training."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the idle loop's parent check still ends the worker between jobs
