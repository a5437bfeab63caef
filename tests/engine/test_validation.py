"""Validation density, the fixed val subset, train read like val, and the test split scored once at the end."""

from __future__ import annotations

import pytest
import torch
from engine_helpers import config, run

from engine import datasets
from engine.config import RunConfig, resolve
from engine.losses import losses
from engine.trainer import build_model
from engine.validation import EARLY_POINTS, MIN_POINTS, MIN_SUBSET, Validation, grid, logged_steps

RUNS = [(0, 40_000, 10), (0, 500, 10), (0, 100, 10), (0, 3, 3), (0, 1000, 1), (12_000, 24_000, 10),
        (0, 250, 10), (5, 40_000, 10), (0, 1_000_000, 10), (0, 300, 7), (0, 40_000, 1000)]


@pytest.mark.parametrize(("start", "total", "every"), RUNS)
def test_the_grid_has_20_points_5_in_the_first_tenth_and_both_ends(start, total, every):
    logged = logged_steps(start, total, every)
    chosen = grid(start, total, every)
    assert chosen <= set(logged) and {start, total} <= chosen
    assert len(chosen) >= min(MIN_POINTS, len(logged))
    tenth = start + (total - start) / 10
    early_logged = [s for s in logged if s <= tenth]
    assert len([s for s in chosen if s <= tenth]) >= min(EARLY_POINTS, len(early_logged))


def test_a_run_validates_on_the_grid_and_reads_train_like_val():
    # eval_share small: before the grid, a run like this validated only at a handful of steps
    result = run(config("moons", steps=2000, batch_size=32, train={"eval_every": 10, "eval_share": 0.001}))
    validated = [m for m in result.metrics if "val_loss" in m.values]
    steps = [m.step for m in validated]
    assert len(steps) >= MIN_POINTS and steps[0] == 0 and steps[-1] == 2000
    assert len([s for s in steps if s <= 200]) >= EARLY_POINTS
    for point in validated:  # train read at the same steps, in eval mode, on as many samples as val
        assert {"train_eval_loss", "train_acc", "val_acc", "val_samples"} <= point.values.keys()
    assert not any("train_eval_loss" in m.values for m in result.metrics if "val_loss" not in m.values)


def _validation(share: float = 0.04) -> tuple[Validation, torch.nn.Module]:
    cfg = RunConfig.model_validate({
        "dataset": {"name": "blobs", "params": {"n_samples": 20_000, "val_fraction": 0.5, "test_fraction": 0.1}},
        "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"}, "optimizer": {"name": "adam"},
        "train": {"steps": 1000, "eval_share": share}})
    plan = resolve(cfg)
    data = datasets.load("blobs", plan.params["dataset"], 0)
    objective = losses["cross_entropy"].build(plan.params["loss"], plan.info)
    return Validation(data, objective, 0, 1000, 10, share), build_model(plan, objective)


def test_an_expensive_split_is_read_on_a_fixed_subset_and_whole_at_the_last_step():
    validation, model = _validation()
    readings = []
    for step in (0, 10, 20, 30, 500, 1000):
        values: dict = {}
        validation.read(model, step, values, step_seconds=1e-6)  # training steps far cheaper than reading 10 000
        readings.append(values)
    whole = validation.n_val
    # whole until 20 steps are timed (warm-up), then the subset the share affords, whole again at the end
    assert [r["val_samples"] for r in readings] == [whole, whole, MIN_SUBSET, MIN_SUBSET, MIN_SUBSET, whole]
    # the same samples every time: the untouched model reads the same loss at every subset point
    assert readings[2]["val_loss"] == readings[3]["val_loss"] == readings[4]["val_loss"]
    assert readings[3]["val_loss"] != readings[5]["val_loss"]
    assert validation.summary()["val_subset"] == MIN_SUBSET and validation.summary()["val_size"] == whole


def test_eval_share_1_always_reads_the_whole_split():
    validation, model = _validation(share=1.0)
    for step in (0, 10, 20):
        values: dict = {}
        validation.read(model, step, values, step_seconds=1e-6)
        assert values["val_samples"] == validation.n_val


def test_the_test_split_is_scored_once_into_the_summary_and_nowhere_else():
    result = run(config("blobs", steps=60, train={"eval_every": 10}))
    summary = result.done.summary
    assert summary["test_samples"] == 12  # 20% of 60
    assert summary["test_loss"] > 0 and 0 <= summary["test_acc"] <= 1
    assert not any(key.startswith("test_") for m in result.metrics for key in m.values)


def test_regression_has_a_test_loss_and_no_test_accuracy():
    summary = run(config("sine", steps=20)).done.summary
    assert summary["test_loss"] > 0 and "test_acc" not in summary


def test_no_test_split_no_test_score():
    spec = {"name": "moons", "params": {"n_samples": 60, "test_fraction": 0.0}}
    summary = run(config("moons", steps=20, dataset_spec=spec)).done.summary
    assert "test_loss" not in summary and "test_acc" not in summary
