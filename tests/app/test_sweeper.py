"""Sweeps as Optuna studies, end to end: TPE with Hyperband on the Ray executor prunes poor trials (their runs
end `pruned` with the step and the reason), and a sweep survives a server restart and continues where it was."""

from __future__ import annotations

from types import SimpleNamespace

import optuna
import pytest
from fastapi.testclient import TestClient

from app import sweep_study
from app.sweeper import study_name
from tests.conftest import finish, parts, run_config, wait_for


def _finish_sweep(client, sweep_id: str, timeout: float = 300) -> dict:
    return wait_for(lambda: not (r := client.get(f"/api/sweeps/{sweep_id}").json())["active"] and r, timeout, 0.2)


def test_tpe_with_hyperband_on_ray_prunes_poor_trials(ray_client):
    # learning rates over five decades: the smallest barely move in 300 steps, so some trials fall behind early
    body = {"name": "tpe hyperband", "base": run_config(train={"steps": 300, "eval_every": 10}), "trials": 10,
            "space": {"optimizer.params.lr": {"log_uniform": [1e-5, 1.0]}}, "sampler": "tpe", "pruner": "hyperband",
            "seed": 4}
    health = ray_client.get("/healthz").json()  # the actors' own reports, as local workers give theirs
    assert health["executor"] == "ray" and health["device"] == "cpu" and len(health["devices"]) == health["workers"]
    created = ray_client.post("/api/sweeps", json=body)
    assert created.status_code == 201, created.text
    assert len(created.json()["run_ids"]) == 2  # the Ray instance's two CPUs: two trials at once
    result = _finish_sweep(ray_client, created.json()["id"])
    assert len(result["trials"]) == 10 and not result["active"]

    pruned = [t for t in result["trials"] if t["status"] == "pruned"]
    assert pruned, [(t["status"], t["values"]) for t in result["trials"]]
    for trial in pruned:
        run = finish(ray_client, trial["run_id"])
        assert run["status"] == "pruned" and run["error"].startswith("pruned at step ")
        assert "by the hyperband pruner: val_loss " in run["error"]
        step = int(run["error"].removeprefix("pruned at step ").split()[0])
        assert 0 < step < 300 and run["summary"]["steps"] < 300  # it stopped soon after the verdict
        stream = ray_client.get(f"/api/runs/{trial['run_id']}/events").text.strip().split("\n\n")
        last_status = next(e for e in reversed(stream) if "event: status" in e)
        assert "event: done" in stream[-1] and '"status":"pruned"' in stream[-1]
        assert '"status":"pruned"' in last_status and f"pruned at step {step} " in last_status
    assert {t["status"] for t in result["trials"]} <= {"completed", "pruned"}

    settings = ray_client.app.state.settings
    parts(ray_client).sweeper.writer.drain()  # the RDB copy is written by a thread of its own
    told = optuna.load_study(study_name=study_name(result["id"]), storage=sweep_study.storage(settings.database_url))
    states = [t.state.name for t in told.trials]
    assert states.count("PRUNED") == len(pruned) and states.count("COMPLETE") == 10 - len(pruned)
    best = min(t["score"] for t in result["trials"] if t["status"] == "completed")
    assert told.best_value == best  # the study was told each completed trial's best val_loss


def test_a_sweep_continues_after_a_restart(tmp_path, data_dir):
    from app.main import create_app
    from app.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'descent.db'}", data_dir=str(data_dir), workers=2,
                        torch_threads=1)
    body = {"base": run_config(train={"steps": 2000}), "trials": 4, "sampler": "random", "pruner": "none", "seed": 9,
            "space": {"optimizer.params.lr": {"log_uniform": [1e-3, 1e-1]}}}
    with TestClient(create_app(settings)) as client:
        assert parts(client).pool.wait_ready(120)
        created = client.post("/api/sweeps", json=body).json()
        first = created["run_ids"]
        for run_id in first:  # paused, so that both are surely still running when the server stops
            wait_for(lambda r=run_id: client.get(f"/api/runs/{r}").json()["progress"] > 0, 120)
            assert client.post(f"/api/runs/{run_id}/control", json={"action": "pause"}).status_code == 200
        wait_for(lambda: all(client.get(f"/api/runs/{r}").json()["status"] == "paused" for r in first), 60)
        before = {t["run_id"]: t["values"] for t in client.get(f"/api/sweeps/{created['id']}").json()["trials"]}
    # the server stops with two trials half-trained; a new one starts on the same database
    with TestClient(create_app(settings)) as client:
        result = _finish_sweep(client, created["id"])
    cut_off = [t for t in result["trials"] if not t["counted"]]
    counted = [t for t in result["trials"] if t["counted"]]
    assert sorted(t["run_id"] for t in cut_off) == sorted(first)
    assert {t["status"] for t in cut_off} <= {"interrupted", "stopped"}  # stopped: by the shutdown, not a person
    assert len(counted) == 4 and {t["status"] for t in counted} == {"completed"}
    # the two cut off were asked again with the same values, and trained to the end this time
    again = [t["values"] for t in counted]
    assert all(before[run_id] in again for run_id in first)


class Executor:
    """Takes jobs and controls and runs nothing: the test plays the jobs' events itself."""

    size = 2

    def __init__(self):
        self.jobs, self.controls = [], []

    def submit(self, job):
        self.jobs.append(job)

    def control(self, run_id, action):
        self.controls.append((run_id, action))
        return True

    def queued(self):
        return 0


@pytest.fixture
def offline(tmp_path):
    """The real service, recorder and sweeper over a real database, with an executor that runs nothing."""
    from app.runs import RunManager
    from app.service import RunService
    from app.settings import Settings
    from app.store import Store
    from app.stream import Hub
    from app.sweeper import Sweeper

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'descent.db'}", data_dir=str(tmp_path))
    store, executor = Store(settings.database_url), Executor()
    manager = RunManager(store, Hub())
    service = RunService(store, manager, executor, settings)
    sweeper = Sweeper(service, manager)
    sweeper.start()
    yield SimpleNamespace(store=store, executor=executor, manager=manager, service=service, sweeper=sweeper,
                          url=settings.database_url)
    sweeper.stop()


def start(offline, trials: int, pruner: str = "median"):
    from app.work.sweep import SweepCreate

    request = SweepCreate(base=run_config(train={"steps": 100, "eval_every": 10}), trials=trials, sampler="random",
                          pruner=pruner, space={"optimizer.params.lr": {"log_uniform": [1e-3, 1e-1]}})
    sweep = offline.service.submit(request).record
    assert len(offline.sweeper.begin(sweep)) == min(2, trials)
    return sweep


def test_a_verdict_stops_the_run_which_ends_pruned_unless_it_completed_first(offline):
    store, executor, manager, sweeper = offline.store, offline.executor, offline.manager, offline.sweeper
    sweep = start(offline, 6)

    def play(index: int, level: float, end: str | None = "completed") -> str:
        """Trial `index`'s run: val_loss = level / step at steps 10..100, then its end."""
        wait_for(lambda: len(executor.jobs) > index, 10)
        run_id = executor.jobs[index].run_id
        for step in range(10, 101, 10):
            manager.on_events([(run_id, "metrics", {"step": step, "epoch": 0, "time": 0,
                                                    "values": {"val_loss": level / step}})])
            if (run_id, "stop") in executor.controls:
                break
        if end:
            manager.on_events([(run_id, "status", {"status": end, "message": end}),
                               (run_id, "done", {"status": end, "summary": {"best_val_loss": level / 100}})])
        return run_id

    for index in range(4):  # the median pruner waits for four completed trials
        play(index, 1.0 + index / 10)
    bad = play(4, 9.0, end=None)
    wait_for(lambda: (bad, "stop") in executor.controls, 10)  # judged at its first point, step 10
    manager.on_events([(bad, "status", {"status": "stopped", "message": "stopped"}),
                       (bad, "done", {"status": "stopped", "summary": {}})])
    late = play(5, 9.0, end=None)  # judged too, but it reached its last step before the stop did
    wait_for(lambda: (late, "stop") in executor.controls, 10)
    manager.on_events([(late, "status", {"status": "completed", "message": ""}),
                       (late, "done", {"status": "completed", "summary": {"best_val_loss": 0.09}})])
    wait_for(lambda: store.get_sweep(sweep.id).search["state"] == "done", 10)
    manager.flush()

    pruned = store.get_run(bad)
    assert pruned.status == "pruned" and pruned.error.startswith("pruned at step 10 by the median pruner: val_loss 0.9")
    assert store.get_run(late).status == "completed"
    sweeper.stop()  # the RDB copy is complete once the writer has stopped
    told = optuna.load_study(study_name=study_name(sweep.id), storage=sweep_study.storage(offline.url))
    assert [t.state.name for t in told.trials] == ["COMPLETE"] * 4 + ["PRUNED", "COMPLETE"]
    assert told.trials[5].value == 0.09 and told.trials[4].intermediate_values == {10: 0.9}


def test_a_trial_whose_run_is_deleted_fails_and_the_sweep_goes_on(offline):
    sweep = start(offline, 3, pruner="none")
    doomed, other = (job.run_id for job in offline.executor.jobs)
    offline.store.delete_run(doomed)  # as DELETE /api/runs/{id} does: its stream closes, no done is ever heard
    offline.manager.forget(doomed)
    wait_for(lambda: len(offline.executor.jobs) == 3, 10)  # its place went to the third trial
    for job in (other, offline.executor.jobs[2].run_id):
        offline.manager.on_events([(job, "done", {"status": "completed", "summary": {"best_val_loss": 0.1}})])
    wait_for(lambda: offline.store.get_sweep(sweep.id).search["state"] == "done", 10)
