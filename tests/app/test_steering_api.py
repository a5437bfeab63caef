"""POST /api/runs/{id}/steer: a paused run takes a new lr before its next step, records a `steer` event, carries it
into its continuation; values its optimizer refuses are 422s naming the field, and the run goes on."""

from __future__ import annotations

from tests.conftest import finish, run_config, wait_for


def test_a_steer_halves_the_lr_and_bad_values_name_their_field(client):
    run_id = client.post("/api/runs", json=run_config(train={"steps": 3000, "eval_every": 50})).json()["id"]
    assert client.post(f"/api/runs/{run_id}/control", json={"action": "pause"}).status_code == 200
    wait_for(lambda: client.get(f"/api/runs/{run_id}").json()["status"] == "paused")
    steer = f"/api/runs/{run_id}/steer"
    for body, field, message in [({"momentum": 0.9}, "momentum", "optimizer 'adam' has no momentum"),
                                 ({"lr": -1.0}, "lr", "greater than 0"), ({"lr": "fast"}, "lr", "number"),
                                 ({"nesterov": True}, "nesterov", "Extra inputs")]:
        answer = client.post(steer, json=body)
        assert answer.status_code == 422, body
        (error,) = answer.json()["detail"]
        assert error["loc"] == ["body", field] and message in error["msg"], error
    assert client.post(steer, json={}).status_code == 422  # nothing to change
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "paused"  # refused, and the run is as it was

    answer = client.post(steer, json={"lr": 0.005})
    assert answer.status_code == 202 and answer.json()["values"] == {"lr": 0.005}
    client.post(f"/api/runs/{run_id}/control", json={"action": "resume"})
    assert finish(client, run_id)["status"] == "completed"

    history = client.get(f"/api/runs/{run_id}/history").json()
    (event,) = history["steers"]
    assert event["values"] == {"lr": 0.005}
    lr = history["series"]["lr"]
    after = [v for s, v in zip(lr["step"], lr["value"], strict=True) if s > event["step"]]
    before = [v for s, v in zip(lr["step"], lr["value"], strict=True) if s <= event["step"]]
    assert set(after) == {0.005} and set(before) == {0.01}
    assert client.post(steer, json={"lr": 0.001}).status_code == 409  # an ended run takes no steer

    child = client.post(f"/api/runs/{run_id}/continue", json={"steps": 3100})
    assert child.status_code == 201, child.text
    config = client.get(f"/api/runs/{child.json()['id']}").json()["config"]
    assert config["train"]["steers"] == [{"step": event["step"], "lr": 0.005, "momentum": None,
                                          "weight_decay": None, "probes": None}]
    finish(client, child.json()["id"])
    lrs = client.get(f"/api/runs/{child.json()['id']}/history").json()["series"]["lr"]["value"]
    assert set(lrs) == {0.005}  # the steered lr came back with the checkpoint's optimizer state
