"""The race: members share data, initial weights and batch order; batched when the networks allow it."""

from __future__ import annotations

from tests.conftest import finish, run_config

OPTIMIZERS = [{"optimizer": {"name": "sgd", "params": {"lr": 0.1}}},
              {"optimizer": {"name": "momentum", "params": {"lr": 0.1}}},
              {"optimizer": {"name": "adam", "params": {"lr": 0.01}}},
              {"optimizer": {"name": "rmsprop", "params": {"lr": 0.01}}}]


def test_a_race_of_optimizers_is_batched_and_fair(client):
    created = client.post("/api/comparisons", json={"name": "optimizers", "base": run_config(train={"steps": 300}),
                                                    "variants": OPTIMIZERS})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["mode"] == "batched" and body["reason"] is None and len(body["run_ids"]) == 4
    runs = [finish(client, run_id) for run_id in body["run_ids"]]
    assert all(r["status"] == "completed" for r in runs)
    first = [client.get(f"/api/runs/{r['id']}/metrics").json()["metrics"][0] for r in runs]
    assert len({m["val_loss"] for m in first}) == 1 and all(m["step"] == 0 for m in first)
    # batched members get what a single run gets: the guaranteed validation grid, and the test split scored once
    validated = [m for m in client.get(f"/api/runs/{runs[0]['id']}/metrics").json()["metrics"] if "val_loss" in m]
    assert len(validated) >= 20
    assert all(0 <= r["summary"]["test_acc"] <= 1 and r["summary"]["test_samples"] == 200 for r in runs)
    standings = client.get(f"/api/comparisons/{body['id']}").json()
    assert [m["label"] for m in standings["members"]] == [
        "optimizer=sgd, optimizer.lr=0.1", "optimizer=momentum, optimizer.lr=0.1",
        "optimizer=adam, optimizer.lr=0.01", "optimizer=rmsprop, optimizer.lr=0.01"]
    page = client.get(f"/compare/{body['id']}")
    assert page.status_code == 200 and "same batch order" in page.text and "batched" in page.text


def test_a_race_of_widths_runs_separately_and_says_why(client):
    widths = [{"model": {"name": "mlp", "params": {"hidden_layers": [w]}}} for w in (4, 32)]
    body = client.post("/api/comparisons", json={"base": run_config(train={"steps": 50}), "variants": widths}).json()
    assert body["mode"] == "separate" and "shape" in body["reason"]
    runs = [finish(client, run_id) for run_id in body["run_ids"]]
    first = [client.get(f"/api/runs/{r['id']}/metrics").json()["metrics"][0]["val_loss"] for r in runs]
    assert all(r["status"] == "completed" for r in runs) and first[0] != first[1]


def test_a_diverging_member_is_marked_and_the_others_finish(client):
    base = run_config(loss={"name": "mse"}, model={"name": "mlp", "params": {"hidden_layers": [64, 64]}},
                      train={"steps": 200, "batch_size": "full"})
    variants = [{"optimizer": {"name": "sgd", "params": {"lr": 0.05}}},
                {"optimizer": {"name": "sgd", "params": {"lr": 10.0}}}]
    body = client.post("/api/comparisons", json={"base": base, "variants": variants}).json()
    assert body["mode"] == "batched"
    calm, wild = (finish(client, run_id) for run_id in body["run_ids"])
    assert calm["status"] == "completed" and wild["status"] == "diverged" and "non-finite" in wild["error"]


def test_race_errors_name_the_member_and_field(client):
    negative = [{"optimizer": {"name": "adam", "params": {"lr": -1}}}]
    bad = client.post("/api/comparisons", json={"base": run_config(), "variants": negative})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][:3] == ["body", "variants", 0]
    unfair = client.post("/api/comparisons", json={"base": run_config(), "variants": [{"dataset": {"name": "xor"}}]})
    assert unfair.status_code == 422 and "shares its data" in unfair.text
    assert client.get("/api/comparisons/nope").status_code == 404


def test_a_race_over_seeds_makes_one_fair_race_per_seed(client):
    variants = [{"optimizer": {"name": "sgd", "params": {"lr": 0.1}}},
                {"optimizer": {"name": "adam", "params": {"lr": 0.01}}}]
    body = client.post("/api/comparisons", json={"base": run_config(train={"steps": 40}), "variants": variants,
                                                 "seeds": [1, 2, 3]}).json()
    assert body["mode"] == "batched" and len(body["run_ids"]) == 6
    runs = [finish(client, run_id) for run_id in body["run_ids"]]
    first = [client.get(f"/api/runs/{r['id']}/metrics").json()["metrics"][0]["val_loss"] for r in runs]
    # within a seed both members start equal; across seeds the data and weights differ
    assert first[0] == first[1] and first[2] == first[3] and first[0] != first[2]
    assert [r["config"]["train"]["seed"] for r in runs] == [1, 1, 2, 2, 3, 3]
    labels = [m["label"] for m in client.get(f"/api/comparisons/{body['id']}").json()["members"]]
    assert labels == ["optimizer=sgd, optimizer.lr=0.1", "optimizer=adam, optimizer.lr=0.01"] * 3


def test_malformed_races_are_422_not_500(client):
    bodies = [
        {"base": {"": {"x": []}}, "variants": [{"train": 5}, {}]},
        {"base": run_config(), "variants": [{"optimizer": {"name": "adam", "params": 3}}]},
        {"base": run_config(), "variants": [{"optimizer": 7}]},
        {"base": run_config(), "variants": [{"train": {"steps": "x"}}]},
    ]
    for body in bodies:
        assert client.post("/api/comparisons", json=body).status_code == 422, body
