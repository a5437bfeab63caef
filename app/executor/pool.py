"""A pool of pre-started worker processes; jobs queue when all are busy; a dead worker fails only its job.

The local implementation of the executor contract (app/executor/__init__.py)."""

from __future__ import annotations

import collections
import contextlib
import gc
import logging
import multiprocessing as mp
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from app.executor import ACTIONS, Job, OnEvents, OnReleased, deliver, ending
from app.executor.worker import EVENTS, LEFT, POISONED, READY, worker_main
from engine.control import PAUSE, RUN, STOP, Steering, steer

log = logging.getLogger(__name__)
MAX_BATCH = 1000


@dataclass
class Worker:
    index: int
    process: Any
    inbox: Any
    state: Any
    tokens: Any
    steering: Any  # shared doubles: what engine.control.Steering reads in the worker
    run_ids: list[str] = field(default_factory=list)  # the job in hand: one run, or every member of a race
    ready: bool = False
    device: dict[str, Any] = field(default_factory=dict)  # {"device", "name"} as the worker reported it
    seen_dead: bool = False


@dataclass
class Pending:
    job: Job
    paused: bool = False
    steps: int = 0


class WorkerPool:
    def __init__(
        self, size: int, on_events: OnEvents, threads: int = 1, data_dir: str = "data",
        on_released: OnReleased | None = None, gpu_memory_fraction: float | None = None,
    ):
        self.size, self.on_events, self.threads, self.data_dir = size, on_events, threads, data_dir
        self.gpu_memory_fraction = gpu_memory_fraction
        self.on_released = on_released or (lambda run_ids: None)
        self.ctx = mp.get_context("spawn")  # fork after torch is imported is unsafe
        # a worker's outbox thread pickles and writes its batch itself: a Queue would wake a feeder thread of
        # the worker's for each batch, one more thread taking the GIL from the training thread
        self.outbox = self.ctx.SimpleQueue()
        self.workers: list[Worker] = []
        self.pending: collections.deque[Pending] = collections.deque()
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.threads_started: list[threading.Thread] = []
        self.idle_changed = threading.Condition(self.lock)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        with self.lock:
            self.workers = [self._spawn(i) for i in range(self.size)]
        for target in (self._read_events, self._watch_workers):
            thread = threading.Thread(target=target, daemon=True, name=f"pool-{target.__name__}")
            thread.start()
            self.threads_started.append(thread)

    def wait_ready(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not all(w.ready for w in self.workers):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.idle_changed.wait(left)
        return True

    def shutdown(self) -> None:
        self.stopping.set()
        with self.lock:
            for worker in self.workers:
                worker.state.value = STOP
                worker.inbox.put(None)
        for worker in self.workers:
            worker.process.join(timeout=3)
            if worker.process.is_alive():
                worker.process.kill()
        # the reader's wake-up, put from a thread of its own: a worker killed mid-send (by the SIGKILL above, or the
        # OOM killer) leaves the queue's write lock held, and a put here would then wait for it forever
        threading.Thread(target=_wake, args=(self.outbox,), daemon=True, name="pool-wake-reader").start()
        for thread in self.threads_started:
            thread.join(timeout=2)
        self._release_queues()

    def _release_queues(self) -> None:
        """Free the queues now, which unlinks their named semaphores. Left to the interpreter's exit they leak:
        uvicorn ends the process by raising SIGTERM again after shutdown, which skips multiprocessing's atexit
        hook, and the resource tracker then warns of "leaked semaphore objects"."""
        queues = [worker.inbox for worker in self.workers]
        self.outbox.close()
        self.outbox = None
        for worker in self.workers:
            worker.inbox = None
        for queue_ in queues:
            queue_.close()
            # not join_thread(): a killed worker may hold this queue's write lock too (above), and our feeder would wait
            # for it forever; what is unsent now has no reader anyway
            queue_.cancel_join_thread()
        del queues, queue_
        gc.collect()

    def _spawn(self, index: int) -> Worker:
        inbox = self.ctx.Queue()
        state, tokens = self.ctx.RawValue("i", RUN), self.ctx.RawValue("q", 0)
        steering = self.ctx.RawArray("d", 1 + len(Steering.KNOBS))
        process = self.ctx.Process(
            target=worker_main,
            args=(index, inbox, self.outbox, state, tokens, self.threads, self.data_dir, self.gpu_memory_fraction,
                  steering),
            name=f"descent-worker-{index}", daemon=True,
        )
        process.start()
        return Worker(index, process, inbox, state, tokens, steering)

    # -- jobs ------------------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        with self.lock:
            self.pending.append(Pending(job))
            self._dispatch()

    def queued(self) -> int:
        with self.lock:
            return sum(len(p.job.run_ids) for p in self.pending)

    def starting(self) -> bool:
        return not all(w.ready for w in self.workers)

    def busy(self) -> int:
        return sum(1 for w in self.workers if w.run_ids)

    def devices(self) -> list[dict[str, Any]]:
        """Each started worker's device as it reported it: {"worker", "device", "name"}."""
        with self.lock:
            return [{"worker": w.index, **w.device} for w in self.workers if w.ready]

    def control(self, run_id: str, action: str) -> bool:
        """Apply pause/resume/step/stop; False if the run is neither queued nor running here."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        with self.lock:
            waiting = next((p for p in self.pending if run_id in p.job.run_ids), None)
            if waiting is not None:
                if action == "stop":
                    self.pending.remove(waiting)
                    self._end(waiting.job.run_ids, "stopped", "stopped before it started")
                else:
                    waiting.paused = action in ("pause", "step")
                    waiting.steps += action == "step"
                return True
            worker = next((w for w in self.workers if run_id in w.run_ids), None)
            if worker is None:
                return False
            steer(action, worker.state, worker.tokens)
            return True

    def steer(self, run_id: str, values: dict[str, float]) -> bool:
        with self.lock:
            worker = next((w for w in self.workers if run_id in w.run_ids), None)
            if worker is None:
                return False
            if len(worker.run_ids) > 1:
                raise ValueError("a race's members train as one job; steer a run trained alone")
            Steering(worker.steering).write(values)
            return True

    def _dispatch(self) -> None:
        for worker in self.workers:
            if not self.pending:
                return
            if worker.ready and not worker.run_ids and worker.process.is_alive():
                waiting = self.pending.popleft()
                worker.tokens.value = waiting.steps
                worker.state.value = PAUSE if waiting.paused else RUN
                Steering(worker.steering).clear()
                worker.run_ids = waiting.job.run_ids
                worker.inbox.put((worker.run_ids, waiting.job.payload()))

    def _end(self, run_ids: list[str], status: str, message: str) -> None:
        """End runs the workers will say nothing more about (the contract's status + done), then release them."""
        self.on_events(ending(run_ids, status, message))
        self.on_released(run_ids)

    # -- background threads ----------------------------------------------------------------
    def _read_events(self) -> None:
        try:
            self._read_until_stopped()
        except (EOFError, OSError):
            if not self.stopping.is_set():
                raise  # at shutdown the queue may be closed under a read that never got its wake-up

    def _read_until_stopped(self) -> None:
        while not self.stopping.is_set():
            item = self.outbox.get()  # None: shutdown
            batch = []
            while item is not None:
                if item[0] == EVENTS:
                    batch.extend(item[1])  # a worker sends its events in batches (app/executor/outbox.py)
                else:  # READY, IDLE or LEFT
                    deliver(self.on_events, batch)  # a job's events reach the handler before its release
                    batch = []
                    self._worker_signal(*item)
                if len(batch) >= MAX_BATCH:
                    break
                item = None if self.outbox.empty() else self.outbox.get()  # this thread is its only reader
            deliver(self.on_events, batch)


    def _worker_signal(self, signal: str, index: int, detail: Any) -> None:
        with self.lock:
            worker = next((w for w in self.workers if w.index == index), None)
            if worker is None:
                return
            released = []
            if signal == READY:
                worker.ready = True
                worker.device = {k: v for k, v in detail.items() if k != "pid"}
            elif worker.run_ids and worker.run_ids[0] == detail:
                released, worker.run_ids = worker.run_ids, []
            if signal == LEFT:
                worker.ready = False  # it is exiting (a sticky CUDA error): no job for it; a fresh one follows
            self._dispatch()
            self.idle_changed.notify_all()
        if released:
            self.on_released(released)

    def _watch_workers(self) -> None:
        while not self.stopping.wait(0.2):
            with self.lock:
                for i, worker in enumerate(self.workers):
                    if worker.process.is_alive() or self.stopping.is_set():
                        continue
                    code = worker.process.exitcode
                    if code == POISONED and worker.run_ids and not worker.seen_dead:
                        worker.seen_dead = True  # its LEFT signal, sent before it exited, ends the job in order
                        continue
                    if code == POISONED and not worker.run_ids:
                        log.warning("worker %d left after a CUDA error; starting a fresh one", worker.index)
                    else:
                        log.warning("worker %d died (exit code %s) during runs %s", worker.index, code, worker.run_ids)
                    message = f"the worker process died (exit code {code}); other runs are unaffected"
                    if worker.run_ids:
                        self._end(worker.run_ids, "failed", message)
                    self.workers[i] = self._spawn(worker.index)


def _wake(outbox) -> None:
    """The reader's None. The queue may be closed first, under this put or before it starts, once the reader has
    ended on its own: then nobody is left to wake."""
    with contextlib.suppress(OSError, ValueError):
        outbox.put(None)
