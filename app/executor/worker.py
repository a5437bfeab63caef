"""The worker process: imports torch once, then trains one job at a time from its inbox."""

from __future__ import annotations

import ctypes
import logging
import os
import queue
import signal
import sys
import traceback
from typing import Any

READY, IDLE = "__ready__", "__idle__"
# a worker whose CUDA context a sticky error poisoned: it says LEFT (idle, but take no job) and exits with POISONED
LEFT, POISONED = "__left__", 3


def worker_main(
    index: int, inbox: Any, outbox: Any, state: Any, tokens: Any, threads: int, data_dir: str = "data",
    memory_fraction: float | None = None,
) -> None:
    _die_with_parent()
    import torch

    torch.set_num_threads(threads)
    from engine import checkpoint, devices
    from engine.config import RunConfig
    from engine.control import Control
    from engine.datasets import uploads
    from engine.events import wire
    from engine.lab import landscape
    from engine.race import race
    from engine.trainer import train

    uploads.configure(os.path.join(data_dir, "uploads"))
    checkpoint_root = os.path.join(data_dir, "checkpoints")

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
        control = Control(state, tokens, max_seconds=payload.get("max_seconds"))
        control.used = 0  # the pool zeroes tokens before handing over a job
        emits = [lambda event, rid=rid: outbox.put((rid, *wire(event))) for rid in run_ids]
        try:
            if payload["kind"] == "race":
                race([RunConfig.model_validate(c) for c in payload["configs"]], emits, control)
            elif payload["kind"] == "landscape":
                landscape.run_job(payload, emits[0], control, checkpoint_root)
            else:
                config = RunConfig.model_validate(payload["config"])
                start = None
                if config.start_from is not None:
                    start = checkpoint.read(checkpoint_root, config.start_from.run, config.start_from.step)
                save = lambda step, state, rid=run_ids[0]: checkpoint.write(checkpoint_root, rid, step, state)  # noqa: E731
                train(config, emits[0], control, save=save, start=start)
        except Exception as exc:  # a bad job fails its runs; the worker lives on for the next one
            logging.getLogger(__name__).warning("job %s failed:\n%s", run_ids, traceback.format_exc())
            message = f"{type(exc).__name__}: {exc}"[:2000]
            for rid in run_ids:
                outbox.put((rid, "status", {"status": "failed", "message": message}))
                outbox.put((rid, "done", {"status": "failed", "summary": {}}))
            if devices.is_poisoning(exc):
                _leave(outbox, index, run_ids[0])
        try:
            devices.release()
        except RuntimeError as exc:  # a sticky error may first show at the first CUDA call after its run ended
            if devices.is_poisoning(exc):
                _leave(outbox, index, run_ids[0])
            raise
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
