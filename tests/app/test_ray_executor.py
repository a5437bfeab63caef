"""What only the Ray executor has: actors that die, controls that may overtake each other, GPU shares.
The contract every executor keeps is tested in test_executor_contract.py, on Ray too."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import uuid

import pytest

from app.executor import TrainJob
from engine.config import RunConfig
from engine.control import PAUSE, RUN, STOP
from tests.conftest import ROOT, run_config, wait_for


class Collector:
    def __init__(self):
        self.events, self.released, self.lock = [], [], threading.Lock()

    def on_events(self, batch):
        with self.lock:
            self.events += batch

    def on_released(self, run_ids):
        with self.lock:
            self.released += run_ids

    def of(self, run_id, kind=None):
        with self.lock:
            return [(k, p) for r, k, p in self.events if r == run_id and (kind is None or k == kind)]


def job(steps: int = 400, **train) -> TrainJob:
    config = RunConfig.model_validate(run_config(train={"steps": steps, **train})).model_dump(mode="json")
    return TrainJob(run_id=uuid.uuid4().hex[:12], config=config)


@pytest.fixture(scope="module")
def executor(ray_instance, data_dir):
    from app.executor.cluster import RayExecutor

    seen = Collector()
    ex = RayExecutor(seen.on_events, seen.on_released, data_dir=str(data_dir))
    ex.start()
    assert ex.wait_ready(120) and ex.size == 2  # the instance's two CPUs, one a job
    ex.seen = seen
    yield ex
    ex.shutdown()


def test_a_killed_actor_fails_its_run_with_the_reason_and_nothing_else(executor, ray_instance):
    seen = executor.seen
    doomed, neighbour = job(200_000), job(600)
    executor.submit(doomed)
    executor.submit(neighbour)
    wait_for(lambda: seen.of(doomed.run_id, "metrics"), 60)
    slot = next(s for s in executor.running.values() if s.job.run_id == doomed.run_id)
    ray_instance.kill(slot.actor)
    wait_for(lambda: doomed.run_id in seen.released, 60)
    status, done = seen.of(doomed.run_id)[-2:]
    assert status[0] == "status" and status[1]["status"] == "failed"
    assert "the Ray actor running it died" in status[1]["message"] and "ray.kill" in status[1]["message"]
    assert done == ("done", {"status": "failed", "summary": {}})
    wait_for(lambda: neighbour.run_id in seen.released, 120)
    assert seen.of(neighbour.run_id, "done")[-1][1]["status"] == "completed"
    after = job(40)  # the lost actor is replaced: the next job trains
    executor.submit(after)
    wait_for(lambda: after.run_id in seen.released, 120)
    assert seen.of(after.run_id, "done")[-1][1]["status"] == "completed"


def test_controls_that_overtake_each_other_end_in_the_newest_state():
    from app.executor.actors import Switch

    switch = Switch()
    switch.set(1, 2, STOP, 0)  # a stop sent right after the job was handed over arrives first
    switch.set(1, 0, RUN, 0)  # then the job's own start, with the state it had when it was sent
    assert switch.state.value == STOP
    switch.set(1, 1, PAUSE, 1)  # an older pause arriving late changes nothing
    assert (switch.state.value, switch.tokens.value) == (STOP, 0)
    switch.set(2, 0, RUN, 0)  # the next job starts afresh
    assert switch.state.value == RUN


def test_a_job_that_wants_a_gpu_reserves_a_share_only_where_there_are_gpus():
    from app.executor.cluster import RayExecutor

    ex = RayExecutor(lambda batch: None, gpu_fraction=0.25, cpus_per_job=2)
    for device, without, with_gpus in (("auto", 0.0, 0.25), ("cuda", 0.0, 0.25), ("cpu", 0.0, 0.0)):
        wants = job(10, device=device)
        ex.gpus = 0.0
        assert ex._shape(_wants(wants)) == (2, without)
        ex.gpus = 4.0
        assert ex._shape(_wants(wants)) == (2, with_gpus)


def _wants(train_job: TrainJob) -> bool:
    from app.executor.job import wants_gpu

    return wants_gpu(train_job.payload())


def test_a_job_dies_with_the_server_that_sent_it(ray_instance, data_dir):
    """Why a restart marks cluster jobs interrupted: Ray ends the actors a driver owns when the driver dies, so no
    job trains on for a server that can no longer record it (here the server is a process killed by SIGKILL)."""
    address = ray_instance.get_runtime_context().gcs_address
    config = RunConfig.model_validate(run_config(train={"steps": 1_000_000})).model_dump(mode="json")
    server = textwrap.dedent(f"""
        import time, ray
        ray.init(address={address!r}, configure_logging=False, log_to_driver=False)
        from app.executor import TrainJob
        from app.executor.cluster import RayExecutor
        executor = RayExecutor(lambda batch: None, data_dir={str(data_dir)!r}, cpus_per_job=0.01, max_jobs=1)
        executor.start()
        assert executor.wait_ready(120)
        executor.submit(TrainJob(run_id="{uuid.uuid4().hex[:12]}", config={config!r}))
        slot = next(iter(executor.running.values()))
        print(ray.get(slot.actor.ready.remote())["pid"], flush=True)
        time.sleep(600)
    """)
    process = subprocess.Popen([sys.executable, "-c", server], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        actor_pid = int(process.stdout.readline())
        assert _alive(actor_pid)
    finally:
        process.kill()
        process.wait()
    wait_for(lambda: not _alive(actor_pid), 60, 0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_job_actors_train_at_the_priority_of_a_local_worker(executor, ray_instance):
    """Ray starts its workers at nice 15; a job is the work here (at 15 it trained 1.5x slower on a busy machine)."""
    actors = [actor for _, actor in executor.idle]
    pids = [report["pid"] for report in ray_instance.get([actor.ready.remote() for actor in actors])]
    assert pids and all(os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) for pid in pids)
