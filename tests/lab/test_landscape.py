"""Loss landscapes: filter normalization, the interpolation's ends, PCA of the path, the API and the page."""

from __future__ import annotations

import httpx
import pytest
import torch
from torch import nn

from engine import datasets
from engine.config import RunConfig, resolve
from engine.lab import landscape
from engine.losses import losses
from engine.solo import evaluate
from engine.trainer import TRAIN_EVAL_SAMPLES, build_model, train
from tests.conftest import finish, run_config, wait_for

SMALL = run_config(train={"steps": 60, "batch_size": 32, "eval_every": 10})


@pytest.fixture(scope="module")
def trained() -> tuple[RunConfig, dict, int, float]:
    """A short moons run trained here: its config, final weights, last step and first logged train loss."""
    config = RunConfig.model_validate(SMALL)
    saved, first = {}, []

    def emit(event):
        if getattr(event, "values", None) and not first:
            first.append(event.values["train_loss"])

    train(config, emit, save=lambda step, state: saved.__setitem__(step, state))
    last = max(saved)
    return config, saved[last]["model"], last, first[0]


def test_filter_normalization_gives_each_filter_the_norm_of_the_same_filter_of_theta():
    net = nn.Sequential(nn.Conv1d(3, 4, 5), nn.BatchNorm1d(4), nn.Flatten(), nn.Linear(8, 6))
    theta = {k: v.detach() for k, v in net.state_dict().items()}
    names = [k for k, _ in net.named_parameters()]
    direction = landscape.filter_normalized(theta, names, torch.Generator().manual_seed(3))
    for name in names:
        d, t = direction[name], theta[name]
        if t.dim() <= 1:  # biases and BN weights: "ignore", a zero direction
            assert torch.count_nonzero(d) == 0, name
            continue
        for i in range(len(t)):  # conv: each output channel's filter; linear: each neuron's row
            assert d[i].norm().item() == pytest.approx(t[i].norm().item(), rel=1e-5), (name, i)
        assert not torch.allclose(d, t)  # a random direction, only scaled to θ
    assert set(direction) == set(names)  # buffers (BN running stats) never move


def test_interpolation_ends_are_the_initial_and_the_final_model(trained):
    config, final, _, first_train_loss = trained
    # samples = the trainer's own train-loss subset: the untrained model's loss it logged at step 0 is α = 0
    result = landscape.landscape(config, final, 0, "interpolation", n=7, samples=TRAIN_EVAL_SAMPLES)
    assert result["alphas"][0] == -0.5 and result["alphas"][-1] == 1.5 and 0.0 in result["alphas"]
    assert result["init_loss"] == pytest.approx(first_train_loss, rel=1e-5)
    plan = resolve(config)
    data = datasets.load(plan.names["dataset"], plan.params["dataset"], config.train.seed)
    objective = losses[plan.names["loss"]].build(plan.params["loss"], plan.info)
    model = build_model(plan, objective)
    model.load_state_dict(final)
    final_loss = evaluate(model, objective, data.x_train[:TRAIN_EVAL_SAMPLES], data.y_train[:TRAIN_EVAL_SAMPLES])[0]
    assert result["final_loss"] == pytest.approx(final_loss, rel=1e-5)
    assert result["final_loss"] < 0.7 * result["init_loss"]  # it trained: the line goes downhill
    assert len(result["val_loss"]) == len(result["alphas"])


def test_pca_directions_are_orthonormal_and_the_path_ends_at_the_origin(trained):
    config, final, last, _ = trained
    setting = landscape.setting(config, 64)
    names = [k for k, _ in setting.model.named_parameters()]
    snapshots = [(0, setting.init), *landscape.trajectory(config, last)]
    assert snapshots[-1][0] == last and len(snapshots) > 20
    d1, d2, variance, coordinates = landscape.pca_directions([s for _, s in snapshots], final, names)
    a, b = landscape.flatten(d1, names), landscape.flatten(d2, names)
    assert (a @ a).item() == pytest.approx(1, abs=1e-5) and (b @ b).item() == pytest.approx(1, abs=1e-5)
    assert abs((a @ b).item()) < 1e-5
    assert coordinates[-1].abs().max() < 1e-5  # the re-trained path ends at the checkpoint: deterministic
    assert coordinates[0].norm() > 0.1 and variance[0] >= variance[1] > 0

    result = landscape.landscape(config, final, last, "pca", n=5, samples=64)
    assert (result["path"]["x"][-1], result["path"]["y"][-1]) == (pytest.approx(0, abs=1e-5),) * 2
    assert len(result["loss"]) == 5 and len(result["loss"][0]) == 5
    assert result["loss"][2][2] == pytest.approx(result["centre_loss"], rel=1e-5)  # the grid's centre is θ_final


def test_api_runs_a_small_landscape_end_to_end(client):
    run_id = client.post("/api/runs", json=SMALL).json()["id"]
    assert finish(client, run_id)["status"] == "completed"
    assert client.get(f"/api/runs/{run_id}/landscape").status_code == 404
    bad = client.post(f"/api/runs/{run_id}/landscape", json={"kind": "random", "n": 500})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "n"]

    started = client.post(f"/api/runs/{run_id}/landscape", json={"kind": "random", "n": 7, "span": 0.5, "samples": 128})
    assert started.status_code == 202, started.text
    job = started.json()["id"]
    assert finish(client, job)["status"] == "completed"
    metrics = client.get(f"/api/runs/{job}/metrics").json()["metrics"]
    assert metrics[-1]["progress"] == pytest.approx(1.0)
    result = client.get(f"/api/runs/{run_id}/landscape").json()
    assert result["kind"] == "random" and result["id"] == job and len(result["xs"]) == 7
    assert len(result["loss"]) == 7 and all(len(row) == 7 for row in result["loss"])
    assert result["loss"][3][3] == pytest.approx(result["centre_loss"])
    assert max(max(row) for row in result["loss"]) > result["centre_loss"]  # a minimum: loss rises around it
    assert client.get(f"/api/runs/{job}").json()["tags"] == ["landscape", f"landscape-of:{run_id}"]
    assert client.get("/runs").status_code == 200  # the job's summary has no val_loss: the list still renders
    # the job's own run has no checkpoint to look around
    assert client.post(f"/api/runs/{job}/landscape", json={"kind": "random"}).status_code == 409


def test_the_page_draws_an_interpolation(page, live_server):
    run_id = httpx.post(live_server + "/api/runs", json=SMALL, timeout=60).json()["id"]
    wait_for(lambda: httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"] == "completed", 120)
    page.goto(f"{live_server}/runs/{run_id}")
    page.click("text=loss landscape")
    page.wait_for_url(f"**/runs/{run_id}/landscape")
    page.fill("#landscape-n", "9")
    page.click("[data-kind=interpolation]")
    page.wait_for_function("(document.getElementById('landscape-line').data || [{x: []}])[0].x.length >= 9",
                           timeout=60_000)
    assert "interpolation landscape" in page.locator("#landscape-status").inner_text()


def test_the_page_draws_a_random_slice_with_its_convexity_map(page, live_server):
    run_id = httpx.post(live_server + "/api/runs", json=SMALL, timeout=60).json()["id"]
    wait_for(lambda: httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"] == "completed", 120)
    page.goto(f"{live_server}/runs/{run_id}/landscape")
    page.fill("#landscape-n", "7")
    page.click("[data-kind=random]")
    page.wait_for_function("(document.getElementById('landscape-curvature').data || []).length === 1",
                           timeout=60_000)
    z = page.evaluate("document.getElementById('landscape-curvature').data[0].z")
    assert len(z) == 7 and z[0][0] is None and all(v is None or v >= 0 for row in z for v in row)
    assert page.evaluate("document.getElementById('landscape-contour').data[0].z.length") == 7
    assert "grid-local minima" in page.locator("#landscape-curvature-note").inner_text()
