"""The runs API end to end, through the in-process app and its real worker processes."""

from __future__ import annotations

import csv
import io
import json

from tests.conftest import finish, parts, run_config, wait_for


def strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def read_stream(client, run_id: str) -> list[tuple[str, str, object]]:
    events, current = [], {}
    with client.stream("GET", f"/api/runs/{run_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line:
                if "data" in current:
                    events.append((current["id"], current["event"], strict_json(current["data"])))
                current = {}
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                current[key] = value
    return events


def test_moons_run_halves_its_loss_and_streams_strict_json_to_done(client):
    created = client.post("/api/runs", json=run_config())
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    events = read_stream(client, run_id)
    assert events[-1][1] == "done" and events[-1][2]["status"] == "completed"
    assert [int(e[0]) for e in events] == list(range(1, len(events) + 1))
    metrics = client.get(f"/api/runs/{run_id}/metrics?format=json").json()["metrics"]
    assert metrics[0]["step"] == 0 and metrics[-1]["step"] == 400
    assert metrics[-1]["train_loss"] <= 0.5 * metrics[0]["train_loss"]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/runs/{run_id}/metrics?format=csv").text)))
    assert "train_loss" in rows[0] and len(rows) == len(metrics)
    run = client.get(f"/api/runs/{run_id}").json()
    assert run["status"] == "completed" and run["progress"] == 1.0 and run["device"] == "cpu"
    assert run["summary"]["val_acc"] > 0.9
    assert any(e[1] == "probe" and e[2]["name"] == "decision_boundary" for e in events)


def test_unknown_optimizer_and_negative_lr_are_422_naming_the_field(client):
    unknown = client.post("/api/runs", json=run_config(optimizer={"name": "adamx"}))
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "optimizer", "name"]
    assert "adam" in unknown.json()["detail"][0]["msg"]
    negative = client.post("/api/runs", json=run_config(optimizer={"name": "adam", "params": {"lr": -0.01}}))
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["loc"] == ["body", "optimizer", "params", "lr"]


def test_bad_types_limits_and_unknown_keys_are_422(client):
    cases = {
        ("body", "train", "steps"): run_config(train={"steps": "many"}),
        ("body", "model", "params", "hidden_layers", 0):
            run_config(model={"name": "mlp", "params": {"hidden_layers": [0]}}),
        ("body", "optimizer", "params", "momentum"):
            run_config(optimizer={"name": "adam", "params": {"momentum": 0.9}}),
        ("body", "model", "params"): run_config(model={"name": "mlp", "params": {"hidden_layers": [2048, 2048]}}),
        ("body", "train", "batch_size"): run_config(train={"batch_size": 5000}),
    }
    for loc, body in cases.items():
        response = client.post("/api/runs", json=body)
        assert response.status_code == 422, (loc, response.text)
        assert [tuple(e["loc"][: len(loc)]) for e in response.json()["detail"]].count(loc) >= 1, response.text
    too_long = client.post("/api/runs", json=run_config(train={"steps": 10_000_000}))
    assert too_long.status_code == 422 and "limit" in too_long.text
    broken = client.post("/api/runs", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422


def test_list_get_delete_and_404(client):
    run_id = client.post("/api/runs", json=run_config(train={"steps": 20})).json()["id"]
    finish(client, run_id)
    assert run_id in [r["id"] for r in client.get("/api/runs").json()]
    assert client.delete(f"/api/runs/{run_id}").status_code == 204
    assert client.get(f"/api/runs/{run_id}").status_code == 404
    assert client.get("/api/runs/nope/metrics").status_code == 404
    assert client.post("/api/runs/nope/control", json={"action": "stop"}).status_code == 404


def test_pause_step_resume_and_stop(client):
    run_id = client.post("/api/runs", json=run_config(train={"steps": 100_000, "eval_every": 50})).json()["id"]
    wait_for(lambda: client.get(f"/api/runs/{run_id}").json()["status"] == "running")
    assert client.post(f"/api/runs/{run_id}/control", json={"action": "pause"}).status_code == 200
    wait_for(lambda: client.get(f"/api/runs/{run_id}").json()["status"] == "paused")
    before = client.get(f"/api/runs/{run_id}/metrics").json()["metrics"]
    wait_for(lambda: len(client.get(f"/api/runs/{run_id}/metrics").json()["metrics"]) == len(before), 2)
    client.post(f"/api/runs/{run_id}/control", json={"action": "step"})
    # a single step is logged at once, one step after the last one taken
    after = wait_for(lambda: (m := client.get(f"/api/runs/{run_id}/metrics").json()["metrics"])
                     and len(m) > len(before) and m)
    assert after[-1]["step"] >= before[-1]["step"] + 1
    stepped = after[-1]["step"]
    client.post(f"/api/runs/{run_id}/control", json={"action": "resume"})
    wait_for(lambda: client.get(f"/api/runs/{run_id}/metrics").json()["metrics"][-1]["step"] > stepped + 50)
    client.post(f"/api/runs/{run_id}/control", json={"action": "stop"})
    assert finish(client, run_id)["status"] == "stopped"
    assert client.post(f"/api/runs/{run_id}/control", json={"action": "resume"}).status_code == 409
    assert client.post(f"/api/runs/{run_id}/control", json={"action": "jump"}).status_code == 422


def test_diverging_run_ends_diverged_with_a_message(client):
    config = run_config(
        loss={"name": "mse"}, optimizer={"name": "sgd", "params": {"lr": 10.0}},
        model={"name": "mlp", "params": {"hidden_layers": [64, 64], "activation": "relu"}},
        train={"steps": 300, "batch_size": "full"},
    )
    run = finish(client, client.post("/api/runs", json=config).json()["id"])
    assert run["status"] == "diverged"
    assert "non-finite" in run["error"]


def test_runs_queue_when_every_worker_is_busy_and_a_killed_worker_fails_only_its_run(client):
    import os
    import signal

    long_run = run_config(train={"steps": 100_000, "eval_every": 100})
    ids = [client.post("/api/runs", json=long_run).json()["id"] for _ in range(3)]
    pool = parts(client).pool
    wait_for(lambda: pool.busy() == 2)
    statuses = wait_for(lambda: (s := [client.get(f"/api/runs/{i}").json()["status"] for i in ids]).count("running")
                        == 2 and s)
    assert statuses == ["running", "running", "queued"]
    victim = next(w for w in pool.workers if ids[0] in w.run_ids)
    os.kill(victim.process.pid, signal.SIGKILL)
    failed = finish(client, ids[0])
    assert failed["status"] == "failed" and "worker process died" in failed["error"]
    # the queued run takes a worker; the others were untouched and still train
    wait_for(lambda: client.get(f"/api/runs/{ids[2]}").json()["status"] == "running")
    assert client.get(f"/api/runs/{ids[1]}").json()["status"] == "running"
    for run_id in ids[1:]:
        client.post(f"/api/runs/{run_id}/control", json={"action": "stop"})
        assert finish(client, run_id)["status"] == "stopped"
    wait_for(lambda: pool.wait_ready(0.1))
    later = client.post("/api/runs", json=run_config(train={"steps": 20})).json()["id"]
    assert finish(client, later)["status"] == "completed"
    assert client.get("/healthz").json()["status"] == "ok"
