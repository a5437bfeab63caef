"""The Ray executor: the same contract as the local pool (app/executor/__init__.py), with each job in a Ray
actor somewhere on a cluster. The web server stays one process; only jobs go to Ray.

Events come back without polling: actors push them to one EventSink actor, and one reader thread here holds a
long `pull` on it beside the jobs' own calls (`ray.wait` on both), so a job's last events are handed over
before the job is released. Controls travel as absolute values with a version (JobActor.steer), so they may
overtake one another and still end in the state the server holds.
"""

from __future__ import annotations

import collections
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from app.executor import ACTIONS, OnEvents, OnReleased, deliver, ending
from app.executor import job as jobs
from app.executor.actors import EventSink, JobActor
from engine.control import RUN, Value, steer

if TYPE_CHECKING:
    from app.executor import Job

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
MOST = 1000  # events in one pull
WAIT_S = 0.25  # a pull with nothing to return gives up after this, so the reader sees new jobs and stopping
NOT_NICE = {"env_vars": {"RAY_worker_niceness": "0"}}


@dataclass
class Slot:
    """A job in this executor's hands: waiting, or running on `actor`."""

    job: Job
    number: int
    gpu: bool  # whether it would use a GPU if the cluster has one
    state: Value
    tokens: Value
    version: int = 0
    shape: tuple[float, float] = (1.0, 0.0)  # (num_cpus, num_gpus) its actor reserves
    actor: Any = None
    call: Any = None  # the ObjectRef of actor.run


class RayExecutor:
    def __init__(
        self, on_events: OnEvents, on_released: OnReleased | None = None, *, address: str | None = None,
        num_cpus: int | None = None, object_store_bytes: int | None = None, cpus_per_job: float = 1.0,
        gpu_fraction: float = 0.25, threads: int = 1, data_dir: str = "data", max_jobs: int | None = None,
    ):
        self.on_events, self.on_released = on_events, on_released or (lambda run_ids: None)
        self.address, self.num_cpus, self.object_store_bytes = address, num_cpus, object_store_bytes
        self.cpus_per_job, self.gpu_fraction, self.threads = cpus_per_job, gpu_fraction, threads
        self.data_dir = str(Path(data_dir).resolve())  # actors on this machine may start in another folder
        self.max_jobs = max_jobs
        self.size = max_jobs or max(1, int((num_cpus or 1) // cpus_per_job))  # until the cluster says its CPUs
        self.gpus = 0.0
        self.pending: collections.deque[Slot] = collections.deque()
        self.running: dict[str, Slot] = {}  # by the id of its run call (ray.wait hands back other ObjectRef objects)
        self.idle: list[tuple[tuple[float, float], Any]] = []  # warm actors and their shapes
        self.reports: dict[int, dict[str, Any]] = {}  # what each actor said of itself, by id() of its handle
        self.numbers = 0
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.owns_ray = False
        self.sink: Any = None
        self.reader = threading.Thread(target=self._read, daemon=True, name="ray-reader")

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.reader.start()  # connecting takes seconds: the reader does it, wait_ready waits for it

    def wait_ready(self, timeout: float = 60.0) -> bool:
        if not self.connected.wait(timeout):
            return False
        with self.lock:
            warm = [actor for _, actor in self.idle]
        calls = [a.ready.remote() for a in warm]
        ready, _ = ray.wait(calls, num_returns=len(calls), timeout=timeout)
        for actor, call in zip(warm, calls, strict=True):
            if call in ready:
                self.reports[id(actor)] = ray.get(call)
        return len(ready) == len(warm)

    def devices(self) -> list[dict[str, Any]]:
        """Each warm actor's process and device as it reported them (to wait_ready): {"worker", "device", ...}."""
        with self.lock:
            alive = {id(actor) for _, actor in self.idle} | {id(slot.actor) for slot in self.running.values()}
            self.reports = {key: report for key, report in self.reports.items() if key in alive}
            return [{"worker": i, **report} for i, report in enumerate(self.reports.values())]

    def _connect(self) -> None:
        if not ray.is_initialized():
            # unset: a Ray instance of our own on this machine; "auto" or host:port: join that cluster
            options: dict[str, Any] = {"address": self.address} if self.address else {
                "num_cpus": self.num_cpus, "include_dashboard": False, "object_store_memory": self.object_store_bytes}
            ray.init(**options, configure_logging=False, log_to_driver=True,
                     job_config=ray.job_config.JobConfig(code_search_path=[str(ROOT)]))
            self.owns_ray = True
        resources = ray.cluster_resources()
        self.gpus = resources.get("GPU", 0.0)
        with self.lock:
            self.size = max(1, int(resources.get("CPU", 1) // self.cpus_per_job))
            self.size = min(self.size, self.max_jobs or self.size)
            # the sink lives on the server's own node: a worker node that dies never takes the events with it
            here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
            self.sink = EventSink.options(scheduling_strategy=here).remote()
            self.idle = [(self._shape(False), self._actor(self._shape(False))) for _ in range(self.size)]
            self._dispatch()
        log.info("Ray executor: %s; %d jobs at once, %g GPUs", ray.get_runtime_context().gcs_address, self.size,
                 self.gpus)
        self.connected.set()

    def shutdown(self) -> None:
        self.stopping.set()
        with self.lock:
            self.pending.clear()
            for slot in self.running.values():
                self._steer(slot, "stop")
            calls = [s.call for s in self.running.values()]
        if self.connected.is_set():
            ray.wait(calls, num_returns=len(calls), timeout=3)
        self.reader.join(timeout=5)
        with self.lock:
            actors = [a for _, a in self.idle] + [s.actor for s in self.running.values()]
            for actor in [*actors, *([self.sink] if self.sink is not None else [])]:
                ray.kill(actor, no_restart=True)
            self.idle, self.running, self.sink = [], {}, None
        if self.owns_ray:
            ray.shutdown()

    # -- jobs ------------------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        with self.lock:
            self.numbers += 1
            self.pending.append(Slot(job, self.numbers, jobs.wants_gpu(job.payload()), Value(RUN), Value(0)))
            self._dispatch()

    def queued(self) -> int:
        with self.lock:
            return sum(len(s.job.run_ids) for s in self.pending)

    def starting(self) -> bool:
        return not self.connected.is_set()

    def busy(self) -> int:
        with self.lock:
            return len(self.running)

    def control(self, run_id: str, action: str) -> bool:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        with self.lock:
            waiting = next((s for s in self.pending if run_id in s.job.run_ids), None)
            if waiting is not None and action == "stop":
                self.pending.remove(waiting)
                self._end(waiting.job.run_ids, "stopped", "stopped before it started")
                return True
            slot = waiting or next((s for s in self.running.values() if run_id in s.job.run_ids), None)
            if slot is None:
                return False
            self._steer(slot, action)
            return True

    def steer(self, run_id: str, values: dict[str, float]) -> bool:
        raise ValueError("the Ray executor does not steer runs yet; pause, resume, step and stop work")

    def _steer(self, slot: Slot, action: str) -> None:
        steer(action, slot.state, slot.tokens)
        if slot.actor is not None:  # a waiting job takes its state along when it starts
            slot.version += 1
            slot.actor.steer.remote(slot.number, slot.version, slot.state.value, slot.tokens.value)

    def _shape(self, gpu: bool) -> tuple[float, float]:
        return (self.cpus_per_job, self.gpu_fraction if gpu and self.gpus > 0 else 0.0)

    def _actor(self, shape: tuple[float, float]) -> Any:
        # Ray starts workers at nice 15 (system processes first); a job is the work here, and at 15 it trained
        # 1.5x slower than a local worker on a busy machine. Ray's own job supervisor is started at 0 the same way
        return JobActor.options(num_cpus=shape[0], num_gpus=shape[1], runtime_env=NOT_NICE).remote(
            self.threads, self.data_dir, shape[1])

    def _dispatch(self) -> None:
        if self.sink is None:
            return  # not connected yet: _connect dispatches what waits
        while self.pending and len(self.running) < self.size and not self.stopping.is_set():
            slot = self.pending.popleft()
            slot.shape = self._shape(slot.gpu)
            slot.actor = self._take_actor(slot.shape)
            slot.call = slot.actor.run.remote(slot.number, slot.job.run_ids, slot.job.payload(), self.sink,
                                              slot.state.value, slot.tokens.value)
            self.running[slot.call.hex()] = slot

    def _take_actor(self, shape: tuple[float, float]) -> Any:
        """A warm actor of this shape; else a new one, in place of a warm actor of another shape when the
        cluster is full (an idle actor keeps its CPUs reserved)."""
        for i, (warm_shape, _) in enumerate(self.idle):
            if warm_shape == shape:
                return self.idle.pop(i)[1]
        if self.idle and len(self.idle) + len(self.running) >= self.size:
            ray.kill(self.idle.pop(0)[1], no_restart=True)
        return self._actor(shape)

    def _end(self, run_ids: list[str], status: str, message: str) -> None:
        self.on_events(ending(run_ids, status, message))
        self.on_released(run_ids)

    # -- the reader thread -----------------------------------------------------------------
    def _read(self) -> None:
        try:
            self._connect()
        except Exception:
            log.exception("could not start or join Ray (DESCENT_RAY_ADDRESS=%s)", self.address or "unset")
            return
        pull = self.sink.pull.remote(MOST, WAIT_S)
        while not self.stopping.is_set():
            with self.lock:
                calls = [s.call for s in self.running.values()]
            ready, _ = ray.wait([pull, *calls], num_returns=1)
            for ref in ready:
                if ref.hex() == pull.hex():
                    deliver(self.on_events, ray.get(pull))
                    pull = self.sink.pull.remote(MOST, WAIT_S)
                else:
                    pull = self._finish(ref, pull)

    def _finish(self, call: Any, pull: Any) -> Any:
        """A job's call returned (or its actor died): hand over every event it pushed, then release it."""
        try:
            healthy, died = ray.get(call), None
        except ray.exceptions.RayError as exc:
            healthy, died = False, exc
        self.sink.wake.remote()
        deliver(self.on_events, ray.get(pull))
        while events := ray.get(self.sink.pull.remote(MOST, 0)):
            deliver(self.on_events, events)
        with self.lock:
            slot = self.running.pop(call.hex())
            if healthy:
                self.idle.append((slot.shape, slot.actor))
            else:  # dead, or its CUDA context spoilt: a fresh actor takes its place when one is needed
                ray.kill(slot.actor, no_restart=True)
        if died is not None:
            log.warning("the Ray actor of runs %s died: %s", slot.job.run_ids, died)
            self._end(slot.job.run_ids, "failed", f"the Ray actor running it died: {why(died)}; other runs are "
                                                  "unaffected")
        else:
            self.on_released(slot.job.run_ids)
        with self.lock:
            self._dispatch()
        return self.sink.pull.remote(MOST, WAIT_S)



def why(error: Exception) -> str:
    """The lines of Ray's error that say what happened (it also lists ids and the pid), at most 300 characters."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    told = [line for line in lines[1:] if line.lower().startswith(("the actor is dead because", "the node"))]
    return " ".join(lines[:1] + told)[:300] or type(error).__name__
