"""Checkpoints: saved during and at the end of a run; continue exactly; fine-tune with frozen layers; exports."""

from __future__ import annotations

import io

import torch

from tests.conftest import finish, run_config


def test_checkpoints_continue_and_finetune(client):
    config = run_config(train={"steps": 300, "checkpoint_every": 100, "eval_share": 1.0})
    parent = client.post("/api/runs", json=config).json()["id"]
    assert finish(client, parent)["status"] == "completed"
    assert [c["step"] for c in client.get(f"/api/runs/{parent}/checkpoints").json()] == [100, 200, 300]

    weights = torch.load(io.BytesIO(client.get(f"/api/runs/{parent}/weights?step=200").content), weights_only=True)
    assert set(weights) == {"1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"}
    assert client.get(f"/api/runs/{parent}/config").json()["optimizer"]["name"] == "adam"

    # continuing from step 200 retraces the parent's steps 200..300 exactly
    child = client.post(f"/api/runs/{parent}/continue", json={"step": 200, "steps": 300})
    assert child.status_code == 201, child.text
    assert finish(client, child.json()["id"])["status"] == "completed"
    ours = {m["step"]: m["val_loss"] for m in client.get(f"/api/runs/{child.json()['id']}/metrics").json()["metrics"]}
    theirs = {m["step"]: m["val_loss"] for m in client.get(f"/api/runs/{parent}/metrics").json()["metrics"]}
    assert min(ours) == 200 and max(ours) == 300
    assert max(abs(ours[s] - theirs[s]) for s in ours) < 1e-6

    # fine-tune on another data set with the first layer frozen: that layer's weights never move
    config = run_config(dataset={"name": "circles"}, train={"steps": 100},
                        start_from={"run": parent, "mode": "finetune", "freeze": ["1."]})
    tuned = client.post("/api/runs", json=config)
    assert tuned.status_code == 201, tuned.text
    assert finish(client, tuned.json()["id"])["status"] == "completed"
    after = torch.load(io.BytesIO(client.get(f"/api/runs/{tuned.json()['id']}/weights").content), weights_only=True)
    final = torch.load(io.BytesIO(client.get(f"/api/runs/{parent}/weights").content), weights_only=True)
    assert torch.equal(after["1.weight"], final["1.weight"]) and not torch.equal(after["3.weight"], final["3.weight"])


def test_start_from_errors_name_the_field(client):
    missing = client.post("/api/runs", json=run_config(start_from={"run": "0" * 12}))
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "start_from", "run"]
    bad_id = client.post("/api/runs", json=run_config(start_from={"run": "../../etc"}))
    assert bad_id.status_code == 422
    parent = client.post("/api/runs", json=run_config(train={"steps": 20})).json()["id"]
    finish(client, parent)
    changed = client.post("/api/runs", json=run_config(optimizer={"name": "sgd"},
                                                       start_from={"run": parent, "mode": "continue"}))
    assert changed.status_code == 422 and "optimizer" in changed.text
    assert client.post(f"/api/runs/{parent}/continue", json={"steps": 10}).status_code == 409
    client.delete(f"/api/runs/{parent}")
    assert client.get(f"/api/runs/{parent}/checkpoints").status_code == 404


def test_the_exported_script_reproduces_the_run(client, tmp_path):
    import json
    import subprocess
    import sys

    run_id = client.post("/api/runs", json=run_config(train={"steps": 100})).json()["id"]
    finish(client, run_id)
    response = client.get(f"/api/runs/{run_id}/script")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    (tmp_path / "run.py").write_text(response.text)
    out = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    logged = [json.loads(line) for line in out.stdout.splitlines() if '"step"' in line][:10]
    stored = client.get(f"/api/runs/{run_id}/metrics").json()["metrics"][:10]
    assert [r["step"] for r in logged] == [r["step"] for r in stored]
    assert max(abs(a["train_loss"] - b["train_loss"]) for a, b in zip(logged, stored, strict=True)) < 1e-5
    refused = client.post("/api/runs", json=run_config(train={"steps": 10, "mixup_alpha": 0.2})).json()["id"]
    finish(client, refused)
    assert client.get(f"/api/runs/{refused}/script").status_code == 409
