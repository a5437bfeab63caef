"""Limits from settings: wall time per run and watchers per run."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from tests.conftest import finish, parts, run_config, wait_for


@pytest.fixture(scope="module")
def strict(tmp_path_factory, data_dir):
    from app.main import create_app
    from app.settings import Settings

    db = tmp_path_factory.mktemp("limits") / "l.db"
    settings = Settings(database_url=f"sqlite:///{db}", data_dir=str(data_dir), workers=1, torch_threads=1,
                        max_run_seconds=1.5, max_subscribers=2)
    with TestClient(create_app(settings)) as client:
        assert parts(client).pool.wait_ready(120)
        yield client


def test_a_run_over_the_wall_time_limit_is_stopped_with_the_reason(strict):
    run_id = strict.post("/api/runs", json=run_config(train={"steps": 100_000})).json()["id"]
    run = finish(strict, run_id, timeout=60)
    assert run["status"] == "stopped" and "wall-time limit of 1.5 s" in run["error"]
    assert run["summary"]["steps"] < 100_000


def test_watchers_over_the_limit_get_429(strict):
    run_id = strict.post("/api/runs", json=run_config(train={"steps": 100_000})).json()["id"]
    hub = parts(strict).manager.hub
    opened = threading.Event()

    def watch():
        with strict.stream("GET", f"/api/runs/{run_id}/events") as response:
            for _ in response.iter_lines():
                opened.set()
                if hub.get(run_id).closed:
                    break

    threads = [threading.Thread(target=watch, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    wait_for(lambda: hub.subscribers[run_id] == 2, 30)
    assert strict.get(f"/api/runs/{run_id}/events").status_code == 429
    strict.post(f"/api/runs/{run_id}/control", json={"action": "stop"})
    finish(strict, run_id)
    for t in threads:
        t.join(10)
    assert hub.subscribers[run_id] == 0
