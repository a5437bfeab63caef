"""A pool of pre-started worker processes; runs queue when all are busy; a dead worker fails only its run."""

from __future__ import annotations

import collections
import logging
import multiprocessing as mp
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from app.executor import OnEvents
from app.executor.worker import IDLE, READY, worker_main
from engine.control import PAUSE, RUN, STOP

log = logging.getLogger(__name__)
MAX_BATCH = 1000
ACTIONS = {"pause", "resume", "step", "stop"}


@dataclass
class Worker:
    index: int
    process: Any
    inbox: Any
    state: Any
    tokens: Any
    run_ids: list[str] = field(default_factory=list)  # the job in hand: one run, or every member of a race
    ready: bool = False


@dataclass
class Job:
    run_ids: list[str]
    payload: dict[str, Any]  # {"kind": "train", "config"} or {"kind": "race", "configs"}
    paused: bool = False
    steps: int = 0


class WorkerPool:
    def __init__(
        self, size: int, on_events: OnEvents, threads: int = 1, max_run_seconds: float | None = None,
        data_dir: str = "data",
    ):
        self.size, self.on_events, self.threads = size, on_events, threads
        self.max_run_seconds, self.data_dir = max_run_seconds, data_dir
        self.ctx = mp.get_context("spawn")  # fork after torch is imported is unsafe
        self.outbox = self.ctx.Queue()
        self.workers: list[Worker] = []
        self.pending: collections.deque[Job] = collections.deque()
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
        self.outbox.put(None)

    def _spawn(self, index: int) -> Worker:
        inbox = self.ctx.Queue()
        state, tokens = self.ctx.RawValue("i", RUN), self.ctx.RawValue("q", 0)
        process = self.ctx.Process(
            target=worker_main,
            args=(index, inbox, self.outbox, state, tokens, self.threads, self.max_run_seconds, self.data_dir),
            name=f"descent-worker-{index}", daemon=True,
        )
        process.start()
        return Worker(index, process, inbox, state, tokens)

    # -- jobs ------------------------------------------------------------------------------
    def submit(self, run_id: str, config: dict[str, Any]) -> None:
        self._enqueue(Job([run_id], {"kind": "train", "config": config}))

    def submit_race(self, run_ids: list[str], configs: list[dict[str, Any]]) -> None:
        """Members trained together in one worker (engine.race); controls act on the whole race."""
        self._enqueue(Job(list(run_ids), {"kind": "race", "configs": configs}))

    def submit_landscape(self, run_id: str, job: dict[str, Any]) -> None:
        """A loss landscape of a finished run (engine.lab.landscape.run_job): config, parent, step, landscape."""
        self._enqueue(Job([run_id], {**job, "kind": "landscape"}))

    def _enqueue(self, job: Job) -> None:
        with self.lock:
            self.pending.append(job)
            self._dispatch()

    def queued(self) -> int:
        return len(self.pending)

    def busy(self) -> int:
        return sum(1 for w in self.workers if w.run_ids)

    def control(self, run_id: str, action: str) -> bool:
        """Apply pause/resume/step/stop; False if the run is neither queued nor running here."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        with self.lock:
            job = next((j for j in self.pending if run_id in j.run_ids), None)
            if job is not None:
                if action == "stop":
                    self.pending.remove(job)
                    self.on_events([event for rid in job.run_ids for event in (
                        (rid, "status", {"status": "stopped", "message": "stopped before it started"}),
                        (rid, "done", {"status": "stopped", "summary": {}}))])
                else:
                    job.paused = action in ("pause", "step")
                    job.steps += action == "step"
                return True
            worker = next((w for w in self.workers if run_id in w.run_ids), None)
            if worker is None:
                return False
            if action == "stop":
                worker.state.value = STOP
            elif action == "pause":
                worker.state.value = PAUSE
            elif action == "resume":
                worker.state.value = RUN
            else:
                worker.state.value = PAUSE
                worker.tokens.value += 1
            return True

    def _dispatch(self) -> None:
        for worker in self.workers:
            if not self.pending:
                return
            if worker.ready and not worker.run_ids and worker.process.is_alive():
                job = self.pending.popleft()
                worker.tokens.value = job.steps
                worker.state.value = PAUSE if job.paused else RUN
                worker.run_ids = job.run_ids
                worker.inbox.put((job.run_ids, job.payload))

    # -- background threads ----------------------------------------------------------------
    def _read_events(self) -> None:
        while not self.stopping.is_set():
            try:
                item = self.outbox.get(timeout=0.5)
            except queue.Empty:
                continue
            batch = []
            while item is not None:
                if item[0] in (READY, IDLE):
                    self._worker_signal(*item)
                else:
                    batch.append(item)
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    item = self.outbox.get_nowait()
                except queue.Empty:
                    item = None
            if batch:
                try:
                    self.on_events(batch)
                except Exception:
                    log.exception("event handler failed")

    def _worker_signal(self, signal: str, index: int, detail: Any) -> None:
        with self.lock:
            worker = next((w for w in self.workers if w.index == index), None)
            if worker is None:
                return
            if signal == READY:
                worker.ready = True
            elif worker.run_ids and worker.run_ids[0] == detail:
                worker.run_ids = []
            self._dispatch()
            self.idle_changed.notify_all()

    def _watch_workers(self) -> None:
        while not self.stopping.wait(0.2):
            with self.lock:
                for i, worker in enumerate(self.workers):
                    if worker.process.is_alive() or self.stopping.is_set():
                        continue
                    code = worker.process.exitcode
                    log.warning("worker %d died (exit code %s) during runs %s", worker.index, code, worker.run_ids)
                    message = f"the worker process died (exit code {code}); other runs are unaffected"
                    self.on_events([event for rid in worker.run_ids for event in (
                        (rid, "status", {"status": "failed", "message": message}),
                        (rid, "done", {"status": "failed", "summary": {}}))])
                    self.workers[i] = self._spawn(worker.index)
