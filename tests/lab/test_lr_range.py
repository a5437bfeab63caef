"""LR range test: the lr_range schedule, the steepest-descent suggestion, and the API end to end."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from engine.lab.lr_range import smooth, suggest
from engine.schedules import build_factor, schedules
from tests.conftest import finish, run_config, wait_for

LRS = np.logspace(-6, 0, 1000)
LOG_LR = np.log10(LRS)
# falls fastest at lr = 1e-3 (tanh's inflection), then blows up past lr = 0.1
CURVE = 1.5 - np.tanh(2 * (LOG_LR + 3)) + np.where(LOG_LR > -1, 50 * (LOG_LR + 1) ** 2, 0.0)
LAG = 0.35  # decades: β = 0.98 averages ~50 points, 0.3 decades of this sweep, so the smoothed curve trails


def test_the_schedule_sweeps_exponentially_from_min_to_max():
    params = schedules["lr_range"].params(min_lr=1e-5, max_lr=0.1)
    factor = build_factor("lr_range", params, 101)
    lrs = [0.1 * factor(step) for step in range(101)]  # the optimizer's lr is max_lr; LambdaLR multiplies
    assert lrs[0] == pytest.approx(1e-5) and lrs[-1] == pytest.approx(0.1) and lrs[50] == pytest.approx(1e-3)
    assert np.allclose(np.diff(np.log10(lrs)), 4 / 100)  # equal steps in log lr
    with pytest.raises(ValidationError):
        schedules["lr_range"].params(min_lr=0.1, max_lr=0.01)


def test_smoothing_is_the_debiased_ema():
    assert smooth([2.0, 2.0, 2.0]) == pytest.approx([2.0, 2.0, 2.0])  # no bias towards 0 at the start
    assert smooth([1.0, 3.0], beta=0.5) == pytest.approx([1.0, (0.25 * 1 + 0.5 * 3) / 0.75])


def test_a_constant_series_comes_back_unchanged():
    assert smooth([0.1] * 500) == [0.1] * 500  # TensorBoard's rule; the textbook form wobbled by ~1e-14 here
    assert smooth([0.1] * 500, beta=0.999) == [0.1] * 500


def test_suggest_picks_the_steepest_point():
    reading = suggest(LRS.tolist(), CURVE.tolist())
    assert -3 <= math.log10(reading["suggested_lr"]) <= -3 + LAG
    assert LRS[reading["steepest_index"]] == reading["suggested_lr"]
    assert reading["stop_index"] < len(LRS)  # the blow-up ended the reading
    assert reading["alternative_lr"] == pytest.approx(reading["min_loss_lr"] / 10)
    assert -2 < math.log10(reading["min_loss_lr"]) <= -1 + LAG  # the bottom of the curve is just before the blow-up
    noisy = CURVE + np.random.default_rng(0).normal(0, 0.05, len(CURVE))
    assert -3 <= math.log10(suggest(LRS.tolist(), noisy.tolist())["suggested_lr"]) <= -3 + LAG


def test_a_spike_past_the_minimum_is_not_a_descent():
    curve = 1.5 - np.tanh(2 * (LOG_LR + 3))  # flat at 0.5 from lr = 1e-2 on
    curve[900:903] = 20.0  # one burst: the smoothed loss rises by ~1.2 (< 4×) and then decays steeply
    reading = suggest(LRS.tolist(), curve.tolist())
    assert reading["stop_index"] == len(LRS) and reading["minimum_index"] < 900
    assert -3 <= math.log10(reading["suggested_lr"]) <= -3 + LAG


def test_nothing_after_the_blow_up_counts():
    # past lr = 0.01 the loss explodes, then (as if it came back) falls off a cliff: the cliff must be ignored
    x = LOG_LR
    curve = 1.5 - np.tanh(2 * (x + 3)) + np.where(x > -2, 200 * (x + 2) ** 2, 0.0)
    curve -= np.where(x > -0.5, 500 * (x + 0.5), 0)
    reading = suggest(LRS.tolist(), np.maximum(curve, 0.01).tolist())
    assert reading["suggested_lr"] < 1e-2 and reading["stop_index"] < np.searchsorted(LRS, 0.1)
    # a diverged run's non-finite tail ends the curve too
    with_nan = CURVE.copy()
    with_nan[700:] = np.nan
    assert suggest(LRS.tolist(), with_nan.tolist())["stop_index"] <= 700


def test_api_range_test_on_moons_suggests_a_sensible_lr(client):
    config = run_config(optimizer={"name": "adam", "params": {"lr": 0.003}})
    response = client.post("/api/lab/lr-range", json={"config": config, "min_lr": 1e-6, "max_lr": 1, "steps": 200})
    assert response.status_code == 201, response.text
    run_id = response.json()["run_id"]
    run = finish(client, run_id)
    assert run["status"] in ("completed", "diverged")
    assert run["name"].startswith("LR range test · ")
    assert run["config"]["schedule"]["name"] == "lr_range" and run["config"]["train"]["eval_every"] == 1
    reading = wait_for(lambda: (r := client.get(f"/api/lab/lr-range/{run_id}").json())["ready"] and r)
    assert reading["complete"] is True
    assert len(reading["lr"]) == len(reading["loss"]) == len(reading["smoothed"]) >= 150
    assert reading["lr"][0] == pytest.approx(1e-6) and reading["lr"] == sorted(reading["lr"])
    assert 1e-4 <= reading["suggested_lr"] <= 1, reading["suggested_lr"]
    assert reading["alternative_lr"] < reading["min_loss_lr"]


def test_a_fine_tune_or_continue_config_sweeps_from_the_checkpoints_weights(client):
    parent = client.post("/api/runs", json=run_config(train={"steps": 300, "eval_every": 300})).json()["id"]
    assert finish(client, parent)["status"] == "completed"
    sweeps = {}
    for start in (None, {"run": parent, "mode": "continue"}, {"run": parent, "mode": "finetune", "freeze": ["0."]}):
        config = run_config(**({"start_from": start} if start else {}))
        response = client.post("/api/lab/lr-range", json={"config": config, "min_lr": 1e-7, "max_lr": 1e-5,
                                                           "steps": 20})
        assert response.status_code == 201, response.text
        run_id = response.json()["run_id"]
        assert finish(client, run_id)["status"] == "completed"
        sweeps[start and start["mode"]] = (response.json()["weights"], client.get(f"/api/runs/{run_id}").json(),
                                           client.get(f"/api/lab/lr-range/{run_id}").json())
    fresh, continued, tuned = sweeps[None], sweeps["continue"], sweeps["finetune"]
    assert fresh[0] == "a fresh initialization"
    # a continued config's optimizer, schedule and step would replace the sweep's: its weights are fine-tuned
    assert continued[1]["config"]["start_from"] == {"run": parent, "step": 300, "mode": "finetune", "freeze": [],
                                                      "schedule": "extend"}
    assert continued[0] == f"run {parent}'s checkpoint at step 300" == continued[2]["weights"]
    assert tuned[1]["config"]["start_from"]["freeze"] == ["0."] and tuned[0].endswith("0. frozen")
    # at lr ≤ 1e-5 the weights barely move: the sweep's loss is the trained model's, not a fresh one's
    first_fresh, first_continued = fresh[2]["loss"][0], continued[2]["loss"][0]
    assert first_continued < 0.6 * first_fresh, (first_continued, first_fresh)


def test_api_range_test_refusals(client):
    config = run_config()
    bad = client.post("/api/lab/lr-range", json={"config": config, "min_lr": 0.1, "max_lr": 0.01})
    assert bad.status_code == 422
    wrong = client.post("/api/lab/lr-range", json={"config": {**config, "optimizer": {"name": "adamm"}}})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "config", "optimizer", "name"]
    normal = client.post("/api/runs", json=run_config(train={"steps": 20})).json()["id"]
    assert client.get(f"/api/lab/lr-range/{normal}").status_code == 409  # not a range test
    assert client.get("/api/lab/lr-range/no-such-run").status_code == 404
