"""The web process never loads torch (#20 item 4): every page and API a person uses, a run trained to the end
and its exports included. Torch lives in the workers and the planner processes (app/planner.py).

Checked in a fresh interpreter: this test process has torch loaded already."""

from __future__ import annotations

from tests.conftest import fresh_session

SESSION = r"""
import json, sys, time
from fastapi.testclient import TestClient
from app.main import create_app
from app.settings import Settings
from engine import lazy

data = sys.argv[1]
settings = Settings(database_url=f"sqlite:///{data}/descent.db", data_dir=data, workers=1, torch_threads=1)
seen = {}
with TestClient(create_app(settings)) as client:
    def ok(method, url, **kw):
        response = client.request(method, url, **kw)
        assert response.status_code < 300, (url, response.status_code, response.text[:300])
        seen[url] = lazy.loaded()
        return response

    config = {"dataset": {"name": "moons", "params": {"n_samples": 200}}, "model": {"name": "mlp"},
              "loss": {"name": "cross_entropy"}, "optimizer": {"name": "adam"},
              "train": {"steps": 20, "eval_every": 5}}
    for url in ["/", "/healthz", "/api/catalog", "/runs", "/lab", "/races", "/sweeps", "/docs", "/openapi.json",
                "/api/lab/surfaces", "/api/lab/surfaces/ravine/grid"]:
        ok("GET", url)
    ok("POST", "/api/plans", json=config)
    ok("POST", "/partials/plan", json=config)
    ok("POST", "/api/lab/paths", json={"surface": "ravine", "steps": 5, "optimizers": [{"name": "sgd"}]})
    ok("POST", "/api/lab/gradcheck", json=config)
    rows = "\n".join(f"{i % 7},{i % 3},{i % 2}" for i in range(60))
    upload = ok("POST", "/api/uploads", files={"file": ("mine.csv", "a,b,label\n" + rows, "text/csv")}).json()
    ok("POST", "/api/plans", json={**config, "dataset": {"name": "upload", "params": {"upload_id": upload["id"]}}})
    bad = client.post("/api/runs", json={**config, "model": {"name": "cnn"}})
    assert bad.status_code == 422, bad.text
    run = ok("POST", "/api/runs", json=config).json()["id"]
    for _ in range(1200):
        if client.get(f"/api/runs/{run}").json()["status"] in ("completed", "failed", "diverged"):
            break
        time.sleep(0.1)
    assert client.get(f"/api/runs/{run}").json()["status"] == "completed"
    for url in [f"/runs/{run}", f"/api/runs/{run}/metrics", f"/api/runs/{run}/checkpoints",
                f"/api/runs/{run}/weights", f"/api/runs/{run}/script", f"/api/runs/{run}/metrics?format=csv",
                f"/runs/{run}/landscape"]:
        ok("GET", url)
print(json.dumps({"loaded": [url for url, loaded in seen.items() if loaded], "checked": len(seen)}))
"""


def test_the_web_process_serves_everything_without_loading_torch(tmp_path):
    result = fresh_session(SESSION, str(tmp_path))
    assert result["checked"] >= 20
    assert result["loaded"] == []  # the first URL listed is the first that loaded torch in the web process
