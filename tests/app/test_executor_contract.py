"""The executor contract (app/executor/__init__.py), checked on every executor.

A second executor (a cluster) plugs in by adding one entry to HARNESSES: how to build it and how to kill the
process that runs a given run. Every test below then runs against it too.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.executor import Executor, LandscapeJob, RaceJob, TrainJob
from app.work import new_id
from tests.conftest import run_config, wait_for

SHORT = run_config(train={"steps": 60, "eval_every": 10})
LONG = run_config(train={"steps": 1_000_000, "eval_every": 100})


@dataclass
class Recorder:
    """What an executor reports: each run's events in arrival order, with the release as a last pseudo-event."""

    runs: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)
    releases: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_events(self, batch) -> None:
        with self.lock:
            for run_id, kind, payload in batch:
                self.runs.setdefault(run_id, []).append((kind, payload))

    def on_released(self, run_ids: list[str]) -> None:
        with self.lock:
            self.releases.append(list(run_ids))
            for run_id in run_ids:
                self.runs.setdefault(run_id, []).append(("released", {}))

    def events(self, run_id: str) -> list[tuple[str, dict]]:
        with self.lock:
            return list(self.runs.get(run_id, []))

    def kinds(self, run_id: str) -> list[str]:
        return [kind for kind, _ in self.events(run_id)]

    def statuses(self, run_id: str) -> list[str]:
        return [p["status"] for kind, p in self.events(run_id) if kind == "status"]

    def released(self, run_id: str, timeout: float = 120) -> list[tuple[str, dict]]:
        wait_for(lambda: "released" in self.kinds(run_id), timeout)
        return self.events(run_id)

    def running(self, run_id: str, timeout: float = 120) -> None:
        wait_for(lambda: "running" in self.statuses(run_id), timeout)


@dataclass
class Harness:
    executor: Executor
    recorder: Recorder
    kill: Callable[[str], None]  # end the process (or machine) that runs this run, as a crash would


def pool_harness(data_dir: Path, size: int) -> Harness:
    from app.executor.pool import WorkerPool

    recorder = Recorder()
    pool = WorkerPool(size, recorder.on_events, threads=1, data_dir=str(data_dir), on_released=recorder.on_released)

    def kill(run_id: str) -> None:
        worker = next(w for w in pool.workers if run_id in w.run_ids)
        os.kill(worker.process.pid, signal.SIGKILL)

    return Harness(pool, recorder, kill)


def ray_harness(data_dir: Path, size: int) -> Harness:
    """The Ray executor on the session's local Ray instance (fixture ray_instance): a real one, two CPUs."""
    import ray

    from app.executor.cluster import RayExecutor

    recorder = Recorder()
    executor = RayExecutor(recorder.on_events, recorder.on_released, data_dir=str(data_dir), max_jobs=size)

    def kill(run_id: str) -> None:
        slot = next(s for s in executor.running.values() if run_id in s.job.run_ids)
        pid = ray.get(slot.actor.ready.remote())["pid"]  # the actor answers while it trains (a second thread)
        os.kill(pid, signal.SIGKILL)

    return Harness(executor, recorder, kill)


HARNESSES = {"pool": pool_harness, "ray": ray_harness}


def started(kind: str, data_dir: Path, size: int, request: pytest.FixtureRequest) -> Harness:
    if kind == "ray":
        request.getfixturevalue("ray_instance")
    harness = HARNESSES[kind](data_dir, size)
    harness.executor.start()
    assert harness.executor.wait_ready(120)
    return harness


@pytest.fixture(scope="module", params=list(HARNESSES))
def harness(request, tmp_path_factory):
    harness = started(request.param, tmp_path_factory.mktemp(request.param), size=2, request=request)
    yield harness
    harness.executor.shutdown()


def train(config: dict, **options) -> TrainJob:
    return TrainJob(run_id=new_id(), config=config, **options)


def test_a_job_reports_in_order_and_ends_with_done_then_release(harness):
    job = train(SHORT)
    harness.executor.submit(job)
    events = harness.recorder.released(job.run_id)
    kinds = [kind for kind, _ in events]
    assert events[0] == ("status", events[0][1]) and events[0][1]["status"] == "running"
    steps = [p["step"] for kind, p in events if kind == "metrics"]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == 60
    assert kinds[-2:] == ["done", "released"] and events[-2][1]["status"] == "completed"
    assert kinds.count("done") == 1
    assert harness.recorder.releases.count([job.run_id]) == 1


def test_control_answers_whether_it_holds_the_run(harness):
    executor = harness.executor
    with pytest.raises(ValueError):
        executor.control(new_id(), "jump")
    assert executor.control(new_id(), "stop") is False
    job = train(LONG)
    executor.submit(job)
    harness.recorder.running(job.run_id)
    assert executor.control(job.run_id, "pause") is True
    wait_for(lambda: "paused" in harness.recorder.statuses(job.run_id), 30)
    assert executor.control(job.run_id, "resume") is True
    wait_for(lambda: harness.recorder.statuses(job.run_id)[-1] == "running", 30)
    assert executor.control(job.run_id, "stop") is True
    events = harness.recorder.released(job.run_id)
    assert events[-2] == ("done", events[-2][1]) and events[-2][1]["status"] == "stopped"
    assert executor.control(job.run_id, "stop") is False  # released: no longer held


def test_one_control_acts_on_every_member_of_a_race(harness):
    race = RaceJob(member_ids=(new_id(), new_id()), configs=(LONG, LONG))
    harness.executor.submit(race)
    for run_id in race.run_ids:
        harness.recorder.running(run_id)
    assert harness.executor.control(race.run_ids[1], "stop") is True
    for run_id in race.run_ids:
        assert harness.recorder.released(run_id)[-2][1]["status"] == "stopped"
    assert harness.recorder.releases.count(race.run_ids) == 1


def test_queued_counts_runs_and_a_job_stopped_in_the_queue_never_starts(harness):
    executor, recorder = harness.executor, harness.recorder
    fillers = [train(LONG) for _ in range(executor.size)]
    for job in fillers:
        executor.submit(job)
        executor.control(job.run_id, "pause")  # holding a worker costs no CPU while paused
    wait_for(lambda: executor.busy() == executor.size, 60)
    race = RaceJob(member_ids=(new_id(), new_id()), configs=(SHORT, SHORT))
    waiting = train(SHORT)
    executor.submit(race)
    executor.submit(waiting)
    assert executor.queued() == 3  # the race counts each member
    assert executor.control(waiting.run_id, "stop") is True
    events = recorder.released(waiting.run_id, 10)
    assert [(kind, p["status"]) for kind, p in events[:-1]] == [("status", "stopped"), ("done", "stopped")]
    assert "before it started" in events[0][1]["message"]
    assert executor.queued() == 2
    for job in [*fillers, race]:
        executor.control(job.run_ids[0], "stop")
    for job in [*fillers, race]:
        recorder.released(job.run_ids[0])
    assert executor.queued() == 0
    assert "running" not in recorder.statuses(waiting.run_id)


def test_a_dead_worker_fails_only_its_job_and_the_executor_recovers(harness):
    executor, recorder = harness.executor, harness.recorder
    victim, bystander = train(LONG), train(LONG)
    for job in (victim, bystander):
        executor.submit(job)
        recorder.running(job.run_id)
    harness.kill(victim.run_id)
    events = recorder.released(victim.run_id, 30)
    assert [kind for kind, _ in events][-3:] == ["status", "done", "released"]
    assert events[-3][1]["status"] == events[-2][1]["status"] == "failed" and "died" in events[-3][1]["message"]
    assert executor.control(bystander.run_id, "stop") is True
    assert recorder.released(bystander.run_id)[-2][1]["status"] == "stopped"
    assert executor.wait_ready(120)
    after = train(SHORT)
    executor.submit(after)
    assert recorder.released(after.run_id)[-2][1]["status"] == "completed"


def test_max_seconds_on_the_job_stops_it_with_the_reason(harness):
    job = train(LONG, max_seconds=0.5)
    harness.executor.submit(job)
    events = harness.recorder.released(job.run_id, 60)
    assert events[-3][1]["status"] == "stopped" and "wall-time limit of 0.5 s" in events[-3][1]["message"]


def test_a_landscape_job_reads_the_checkpoint_a_train_job_wrote(harness):
    parent = train(run_config(train={"steps": 20, "checkpoint_every": 20}))
    harness.executor.submit(parent)
    assert harness.recorder.released(parent.run_id)[-2][1]["status"] == "completed"
    job = LandscapeJob(run_id=new_id(), config=parent.config, parent=parent.run_id, step=20,
                       landscape={"kind": "interpolation", "n": 5, "span": 1.0, "samples": 64, "seed": 0})
    harness.executor.submit(job)
    events = harness.recorder.released(job.run_id)
    probes = [p for kind, p in events if kind == "probe" and p["name"] == "landscape"]
    assert len(probes) == 1 and probes[0]["data"]["parent"] == parent.run_id
    assert events[-2][1]["status"] == "completed"


@pytest.mark.parametrize("kind", list(HARNESSES))
def test_shutdown_ends_the_running_job_and_drops_the_queue(kind, tmp_path, request):
    harness = started(kind, tmp_path, size=1, request=request)
    running, waiting = train(LONG), train(LONG)
    harness.executor.submit(running)
    harness.recorder.running(running.run_id)
    harness.executor.submit(waiting)
    began = time.monotonic()
    harness.executor.shutdown()
    assert time.monotonic() - began < 10
    assert harness.recorder.events(waiting.run_id) == []
