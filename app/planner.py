"""The planner: warm processes beside the web process for the requests that need torch.

The web process holds no torch (#20: it stays near 100 MB and answers within a second of starting). A request
that must build a network (does it fit the data? how many parameters? its layer table), evaluate a lab surface or
read a checkpoint's tensors asks a planner process, naming the function as "module:function" so that the web
process never imports the module that holds it. Arguments and results are plain data and pydantic models; an
exception raised there (a ConfigError, an ExportError) is raised here as it was.

An app's lifespan starts and stops it; it is stateless (paths travel as arguments), so one module-level planner
serves whichever app is running in the process.
Training never goes through it: workers (app/executor) train; the planner answers requests.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger(__name__)

PROCESSES = 2  # a 20-second gradient check in one leaves the other to answer the builder's plan previews
TIMEOUT_S = 300.0  # the longest a request waits for an answer (a gradient check stops itself at 20 s)
# imported as each process starts, so the first request finds torch and the engine loaded
WARM = ("engine.architecture", "engine.export", "engine.lab.gradcheck", "engine.lab.paths", "engine.lab.surfaces")


class PlannerUnavailable(RuntimeError):
    """A planner process died (out of memory, killed) or did not answer in time: 503, try again."""


def _warm() -> None:
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True, name="orphan-watch").start()
    import torch

    torch.set_num_threads(1)  # the cores are the training workers'; a plan or a surface is small
    for module in WARM:
        importlib.import_module(module)


def _end_with(parent: int) -> None:
    """End this process when the server is gone, even by SIGKILL (no orphan holds ~250 MB). Not PR_SET_PDEATHSIG,
    as the workers use: it fires when the *thread* that started the process ends, and the executor starts its
    processes from whichever request thread asks first."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _ready() -> bool:
    return True


def _call(target: str, args: tuple, kwargs: dict, upload_root: str | None) -> Any:
    if upload_root is not None:
        from engine.datasets import uploads

        uploads.configure(upload_root)  # the asking app's folder: the processes are shared by whichever app runs
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)(*args, **kwargs)


class Planner:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._warmed: Future | None = None
        self.upload_root: str | None = None  # set by the app that starts it

    def start(self, upload_root: str | None = None) -> None:
        """Start the processes now (they import torch in the background); idempotent."""
        with self._lock:
            self.upload_root = upload_root or self.upload_root
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    PROCESSES, mp_context=multiprocessing.get_context("spawn"), initializer=_warm)
                self._warmed = self._pool.submit(_ready)

    def stop(self) -> None:
        """End the processes with the app that started them (their queues' semaphores are freed now, not leaked at
        the server's exit); a later start() makes new ones."""
        with self._lock:
            pool, self._pool, self._warmed = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def ready(self) -> bool:
        return self._warmed is not None and self._warmed.done()

    def call(self, target: str, *args: Any, **kwargs: Any) -> Any:
        """Run `module:function` in a planner process and return its result (blocking: call it from a thread)."""
        self.start()
        assert self._pool is not None
        try:
            return self._pool.submit(_call, target, args, kwargs, self.upload_root).result(timeout=TIMEOUT_S)
        except BrokenProcessPool:
            self._restart()
            raise PlannerUnavailable("a planner process stopped (out of memory?) and is restarting") from None
        except TimeoutError:
            raise PlannerUnavailable(f"the planner did not answer within {TIMEOUT_S:.0f} s") from None

    def _restart(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            log.warning("a planner process died; starting new ones")
            pool.shutdown(wait=False, cancel_futures=True)
        self.start()


planner = Planner()
