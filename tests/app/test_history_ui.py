"""Browsing history: rename, tag, filter, the overlay page, and stored configs with defaults written out."""

from __future__ import annotations

from app.compare import differences, lesson
from tests.conftest import finish, run_config


def test_rename_tag_filter_and_overlay(client):
    a = client.post("/api/runs", json=run_config(train={"steps": 30})).json()["id"]
    sgd = run_config(optimizer={"name": "sgd", "params": {"lr": 0.1}}, train={"steps": 30})
    b = client.post("/api/runs", json=sgd).json()["id"]
    finish(client, a), finish(client, b)
    edited = client.patch(f"/api/runs/{a}", json={"name": "baseline", "tags": ["keep", "adam", "keep"]})
    assert edited.status_code == 200
    assert edited.json()["name"] == "baseline" and edited.json()["tags"] == ["adam", "keep"]
    assert client.patch(f"/api/runs/{a}", json={"tags": ["../x"]}).status_code == 422
    assert client.patch(f"/api/runs/{a}", json={"colour": "red"}).status_code == 422
    tagged = client.get("/api/runs", params={"tag": "keep"}).json()
    assert [r["id"] for r in tagged] == [a]
    by_optimizer = {r["id"] for r in client.get("/api/runs", params={"optimizer": "sgd"}).json()}
    assert b in by_optimizer and a not in by_optimizer
    page = client.get("/runs", params={"fragment": "table", "tag": "keep"}).text
    assert "baseline" in page and b not in page
    overlay = client.get(f"/compare?runs={a},{b}")
    assert overlay.status_code == 200 and "optimizer=sgd" in overlay.text and "optimizer.lr=0.1" in overlay.text
    assert client.get("/compare?runs=ffffffffffff").status_code == 404


def test_stored_config_has_defaults_written_out(client):
    run_id = client.post("/api/runs", json=run_config(train={"steps": 10})).json()["id"]
    config = client.get(f"/api/runs/{run_id}").json()["config"]
    assert config["model"]["params"]["hidden_layers"] == [16, 16]
    assert config["schedule"] == {"name": "constant", "params": {"warmup_steps": 0}}
    finish(client, run_id)


def test_differences_name_only_what_varies():
    base = {"optimizer": {"name": "adam", "params": {"lr": 0.01}}, "train": {"seed": 0}}
    other = {"optimizer": {"name": "sgd", "params": {"lr": 0.01}}, "train": {"seed": 0}}
    assert differences([base, other]) == ["optimizer=adam", "optimizer=sgd"]
    assert differences([base, base]) == ["identical settings", "identical settings"]


def test_a_race_of_batch_sizes_alone_gets_the_batch_size_lesson():
    member = lambda size, lr=0.01: {"optimizer": {"name": "sgd", "params": {"lr": lr}},  # noqa: E731
                                    "train": {"epochs": 5, "batch_size": size}}
    assert lesson([member(1), member(32), member("full")]) == "batch_size"
    assert lesson([member(1), member(32, lr=0.1)]) is None  # a second difference: not that lesson alone
    assert lesson([member(1, 0.1), member(1)]) is None and lesson([member(1)]) is None
