"""The whole app on PostgreSQL: runs and their event batches, the stored chart view, a race with a diverging
member, a sweep, tags and deletion, through the API as on SQLite."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.app.test_race import test_a_diverging_member_is_marked_and_the_others_finish as diverging_race
from tests.conftest import finish, parts, run_config


@pytest.fixture(scope="module")
def pg_client(postgres, data_dir):
    from app.main import create_app
    from app.settings import Settings

    settings = Settings(database_url=postgres.new_database(), data_dir=str(data_dir), workers=2, torch_threads=1)
    with TestClient(create_app(settings)) as client:
        assert parts(client).pool.wait_ready(120)
        assert parts(client).store.engine.dialect.name == "postgresql"
        yield client


def test_a_run_its_metrics_history_and_csv(pg_client):
    run_id = pg_client.post("/api/runs", json=run_config(train={"steps": 200, "eval_every": 10})).json()["id"]
    run = finish(pg_client, run_id)
    assert run["status"] == "completed" and run["progress"] == 1.0 and run["summary"]["train_loss"] < 0.7
    metrics = pg_client.get(f"/api/runs/{run_id}/metrics").json()["metrics"]
    assert [m["step"] for m in metrics] == list(range(0, 201, 10))
    history = pg_client.get(f"/api/runs/{run_id}/history").json()
    assert history["series"]["train_loss"]["value"] == [m["train_loss"] for m in metrics]
    assert len(pg_client.get(f"/api/runs/{run_id}/metrics?format=csv").text.splitlines()) == len(metrics) + 1
    assert pg_client.patch(f"/api/runs/{run_id}", json={"tags": ["pg"]}).status_code == 200
    assert [r["id"] for r in pg_client.get("/api/runs?tag=pg").json()] == [run_id]
    assert run_id in [r["id"] for r in pg_client.get("/api/runs?dataset=moons&optimizer=adam&status=completed").json()]
    assert pg_client.get("/api/runs?dataset=spirals").json() == []
    assert pg_client.delete(f"/api/runs/{run_id}").status_code in (200, 204)
    assert pg_client.get(f"/api/runs/{run_id}").status_code == 404


def test_a_race_with_a_diverging_member(pg_client):
    diverging_race(pg_client)  # the diverged member's NaN summary is stored as null


def test_a_sweep(pg_client):
    body = {"base": run_config(train={"steps": 30}), "space": {"optimizer.params.lr": {"log_uniform": [1e-3, 1e-1]}},
            "trials": 2, "seed": 1}
    created = pg_client.post("/api/sweeps", json=body).json()
    assert all(finish(pg_client, run_id)["status"] == "completed" for run_id in created["run_ids"])
    result = pg_client.get(f"/api/sweeps/{created['id']}").json()
    assert not result["active"] and len(result["trials"]) == 2
