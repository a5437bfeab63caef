"""One way in: every route that creates work goes through the run service and obeys the queue limit (H11);
routes are thin and never call each other."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import finish, parts, run_config, wait_for

ROUTES = Path(__file__).resolve().parents[2] / "app" / "routes"
LIMIT = 3


@pytest.fixture
def small_queue(client, monkeypatch):
    """The shared app with a queue of 3 places, both workers held by paused runs; everything stopped after."""
    monkeypatch.setattr(client.app.state.settings, "max_queued", LIMIT)
    parent = client.post("/api/runs", json=run_config(train={"steps": 20, "checkpoint_every": 20})).json()["id"]
    assert finish(client, parent)["status"] == "completed"
    pool = parts(client).pool
    started = []
    for _ in range(pool.size):
        run_id = client.post("/api/runs", json=run_config(train={"steps": 100_000})).json()["id"]
        client.post(f"/api/runs/{run_id}/control", json={"action": "pause"})
        started.append(run_id)
    wait_for(lambda: pool.busy() == pool.size)
    yield parent
    for run in client.get("/api/runs", params={"limit": 50}).json():
        if run["status"] in ("queued", "running", "paused"):
            client.post(f"/api/runs/{run['id']}/control", json={"action": "stop"})
    for run_id in started:
        finish(client, run_id)


def refused(response, runs: int, left: int) -> bool:
    detail = response.json()["detail"]
    return (response.status_code == 429 and f"would queue {runs} run" in detail
            and f"{left} of this server's {LIMIT} places are left" in detail)


def test_every_route_that_creates_work_obeys_the_queue_limit(client, small_queue):
    parent, pool = small_queue, parts(client).pool
    base = run_config(train={"steps": 20})
    sweep = {"base": base, "space": {"optimizer.params.lr": {"log_uniform": [1e-3, 1e-1]}}, "trials": 4}
    race = {"base": base, "variants": [{"optimizer": {"name": "sgd"}}, {"optimizer": {"name": "adam"}}],
            "seeds": [1, 2]}
    left = LIMIT - pool.queued()
    assert refused(client.post("/api/comparisons", json=race), 4, left)
    for _ in range(left):
        assert client.post("/api/runs", json=base).status_code == 201
    assert pool.queued() == LIMIT
    assert refused(client.post("/api/runs", json=base), 1, 0)
    assert refused(client.post("/api/lab/lr-range", json={"config": base, "steps": 20}), 1, 0)
    assert refused(client.post(f"/api/runs/{parent}/continue", json={"steps": 40}), 1, 0)
    assert refused(client.post(f"/api/runs/{parent}/landscape", json={"kind": "random", "n": 5}), 1, 0)
    # a sweep queues its first trials at once (as many as the workers), the others as trials end
    assert refused(client.post("/api/sweeps", json=sweep), pool.size, 0)
    assert refused(client.post("/api/sweeps", json={**sweep, "trials": 1}), 1, 0)
    assert refused(client.post("/api/comparisons", json={**race, "seeds": None}), 2, 0)
    assert pool.queued() == LIMIT  # nothing refused was half-created
    # a refusal names its reason before the limit: a bad config is still 422
    assert client.post("/api/runs", json=run_config(optimizer={"name": "adamx"})).status_code == 422


def _imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


@pytest.mark.parametrize("path", sorted(ROUTES.glob("*.py")), ids=lambda p: p.name)
def test_routes_never_call_each_other_nor_create_work_themselves(path):
    tree = ast.parse(path.read_text())
    assert [m for m in _imports(tree) if m.startswith("app.routes")] == []
    assert [m for m in _imports(tree) if re.match(r"app\.(executor\.pool|runs)$", m)] == []
    creating = {"submit", "add_all", "add_run", "create", "open"}
    calls = [ast.unparse(node.func) for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in creating]
    assert [c for c in calls if c != "service.submit"] == []
