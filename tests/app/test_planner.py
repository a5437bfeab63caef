"""The planner (app/planner.py): a process that dies answers 503 with Retry-After, once, and is replaced."""

from __future__ import annotations

from conftest import run_config

from app.planner import planner


def test_a_dead_planner_process_answers_503_once_and_is_replaced(client):
    assert client.post("/api/plans", json=run_config()).status_code == 200
    for process in list(planner._pool._processes.values()):
        process.kill()  # as the OOM killer would
    refused = client.post("/api/plans", json=run_config())
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert "planner" in refused.json()["detail"]
    again = client.post("/api/plans", json=run_config())
    assert again.status_code == 200 and again.json()["parameters"] > 0
