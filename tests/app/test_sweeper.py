"""Sweeps as Optuna studies, end to end: TPE with Hyperband on the Ray executor prunes poor trials (their runs
end `pruned` with the step and the reason), and a sweep survives a server restart and continues where it was."""

from __future__ import annotations

import optuna
from fastapi.testclient import TestClient

from app import study
from app.sweeper import study_name
from tests.conftest import finish, run_config, wait_for


def _finish_sweep(client, sweep_id: str, timeout: float = 300) -> dict:
    return wait_for(lambda: not (r := client.get(f"/api/sweeps/{sweep_id}").json())["active"] and r, timeout, 0.2)


def test_tpe_with_hyperband_on_ray_prunes_poor_trials(ray_client):
    # learning rates over five decades: the smallest barely move in 300 steps, so some trials fall behind early
    body = {"name": "tpe hyperband", "base": run_config(train={"steps": 300, "eval_every": 10}), "trials": 10,
            "space": {"optimizer.params.lr": {"log_uniform": [1e-5, 1.0]}}, "sampler": "tpe", "pruner": "hyperband",
            "seed": 4}
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
    ray_client.app.state.sweeper.writer.drain()  # the RDB copy is written by a thread of its own
    told = optuna.load_study(study_name=study_name(result["id"]), storage=study.storage(settings.database_url))
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
        assert client.app.state.pool.wait_ready(120)
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
