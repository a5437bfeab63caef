"""The fit verdict: on real runs (the issue's three cases) and on synthetic histories with known answers."""

from __future__ import annotations

import math

import pytest

from engine.config import RunConfig
from engine.events import Probe
from engine.fit import diagnose
from engine.trainer import train
from engine.validation import Point, Reading


def verdicts(body: dict) -> tuple[list[str], dict]:
    events: list = []
    done = train(RunConfig.model_validate({**body, "probes": []}), events.append)
    return [e.data["kind"] for e in events if isinstance(e, Probe) and e.name == "fit"], done.summary


def moons(**params) -> dict:
    return {"name": "moons", "params": params}


def test_the_default_moons_mlp_is_not_called_over_fitting():
    kinds, summary = verdicts({"dataset": moons(), "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
                               "optimizer": {"name": "adam", "params": {"lr": 0.01}}, "train": {"steps": 500}})
    assert "over" not in kinds and summary["fit"] == "good"


def test_a_wide_mlp_trained_long_on_60_noisy_moons_is_over_fitting():
    kinds, summary = verdicts({
        "dataset": moons(n_samples=60, noise=0.3), "model": {"name": "mlp", "params": {"hidden_layers": [256, 256]}},
        "loss": {"name": "cross_entropy"}, "optimizer": {"name": "adam", "params": {"lr": 0.01}},
        "train": {"steps": 4000}})
    assert summary["fit"] == "over" and kinds[-1] == "over"
    assert summary["train_acc"] == 1.0 and summary["val_acc"] < 0.9


def test_a_perceptron_on_xor_is_under_fitting():
    kinds, summary = verdicts({"dataset": {"name": "xor"}, "model": {"name": "perceptron"},
                               "loss": {"name": "cross_entropy"}, "optimizer": {"name": "adam", "params": {"lr": 0.01}},
                               "train": {"steps": 500}})
    assert summary["fit"] == "under" and set(kinds) == {"under"}


def history(train: list[float], val: list[float], train_acc=None, val_acc=None, n: int = 1000,
            se: float = 0.0) -> list[Point]:
    points = []
    for i, (t, v) in enumerate(zip(train, val, strict=True)):
        ta = train_acc[i] if train_acc else None
        va = val_acc[i] if val_acc else None
        points.append(Point(10 * i, Reading(t, se, ta, n), Reading(v, se, va, n)))
    return points


TRAIN = [0.1 + 0.9 * 0.93**i for i in range(60)]


def test_one_noisy_evaluation_is_not_over_fitting():
    wobble = [1 + 0.08 * (-1) ** i for i in range(60)]
    good = [t * 1.05 * w for t, w in zip(TRAIN, wobble, strict=True)]
    assert diagnose(history(TRAIN, good))["kind"] == "good"
    assert diagnose(history(TRAIN, [*good[:-1], good[-1] * 1.4]))["kind"] == "good"


def test_a_val_loss_climbing_off_its_minimum_while_train_falls_is_over_fitting():
    u_shape = [0.3 + 0.7 * 0.85**i + (0.006 * (i - 20) if i > 20 else 0) for i in range(60)]
    verdict = diagnose(history(TRAIN, u_shape))
    assert verdict["kind"] == "over" and "above its minimum" in verdict["reason"]


def test_a_small_accuracy_gap_is_not_over_fitting():
    # the case: 96.8% train against 94.5% val, losses apart by what that means in cross-entropy
    train = [0.1 + 2.2 * 0.9**i for i in range(40)]
    val = [t + 0.07 * (1 - 0.9**i) for i, t in enumerate(train)]
    ta = [0.968] * 40
    va = [0.945] * 40
    assert diagnose(history(train, val, ta, va))["kind"] == "good"


def test_a_gap_within_the_noise_is_not_over_fitting_but_beyond_it_is():
    train = [0.05 + 0.65 * 0.9**i for i in range(40)]
    val = [t + 0.3 for t in train]  # flat, not rising: only the gap can tell
    assert diagnose(history(train, val, se=0.2, n=12))["kind"] != "over"  # a 12-sample val set: ±0.6 at 3 SE
    assert diagnose(history(train, val, se=0.01))["kind"] == "over"


def test_a_training_loss_stuck_near_its_start_is_under_fitting():
    stuck = [0.9 + 0.1 * 0.97**i for i in range(60)]
    assert diagnose(history(stuck, stuck))["kind"] == "under"


def test_fewer_than_three_points_or_non_finite_ones_give_no_verdict():
    assert diagnose(history([1.0, 0.5], [1.0, 0.6])) is None
    assert diagnose(history([1.0, math.nan, 0.4], [1.0, 0.6, math.inf])) is None


@pytest.mark.parametrize("kind", ["over", "under", "good"])
def test_a_verdict_states_its_facts(kind):
    cases = {"over": (TRAIN, [0.3 + 0.7 * 0.85**i + (0.006 * (i - 20) if i > 20 else 0) for i in range(60)]),
             "under": ([0.9] * 60, [0.9] * 60), "good": (TRAIN, TRAIN)}
    verdict = diagnose(history(*cases[kind]))
    assert verdict["kind"] == kind and verdict["label"] and verdict["reason"]
    assert any("eval mode, 1 000 samples each" in fact for fact in verdict["facts"])


def test_a_continued_run_measures_progress_from_an_untrained_model_not_from_its_checkpoint():
    body = {"dataset": moons(), "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
            "optimizer": {"name": "adam", "params": {"lr": 0.01}}, "train": {"steps": 500}, "probes": []}
    saved = {}
    train(RunConfig.model_validate(body), lambda e: None, save=lambda step, state: saved.update({step: state}))
    more = {**body, "train": {"steps": 1000}, "start_from": {"run": "0" * 12, "mode": "continue"}}
    events: list = []
    done = train(RunConfig.model_validate(more), events.append, start=saved[500])
    # its first point already has a low train loss: measured from there, a good fit would read as under-fitting
    assert done.summary["fit"] == "good"
    assert [e for e in events if isinstance(e, Probe) and e.name == "fit"][0].step > 500
