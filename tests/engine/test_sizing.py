"""Network defaults fit the data set: widths from the input size and class count; what the person gives wins."""

from __future__ import annotations

import pytest

from engine.config import RunConfig, explicit, resolve


def plan(dataset: str, model: dict, loss: str = "cross_entropy"):
    return resolve(RunConfig.model_validate({"dataset": {"name": dataset}, "model": model, "loss": {"name": loss},
                                             "optimizer": {"name": "adam"}}))


@pytest.mark.parametrize(("dataset", "widths"), [("moons", [16, 16]), ("mnist1d", [128, 128]), ("digits", [256, 256])])
def test_an_mlp_is_as_wide_as_its_data_asks(dataset, widths):
    assert plan(dataset, {"name": "mlp"}).params["model"].hidden_layers == widths


def test_recurrent_and_attention_widths_follow_the_classes():
    assert plan("parity", {"name": "gru"}).params["model"].hidden_size == 64
    assert plan("mnist1d", {"name": "gru"}).params["model"].hidden_size == 128
    assert plan("mnist1d", {"name": "transformer"}).params["model"].d_model == 64


def test_given_params_win_and_the_stored_config_writes_the_sizes_out():
    assert plan("mnist1d", {"name": "mlp", "params": {"hidden_layers": [16, 16]}}).params["model"].hidden_layers == [
        16, 16]
    stored = explicit(plan("mnist1d", {"name": "mlp"}))
    assert stored.model.params["hidden_layers"] == [128, 128]


def test_a_cnn_on_volumes_opens_with_batch_norm_and_a_given_norm_wins():
    assert plan("volumes", {"name": "cnn"}).params["model"].norm == "batch"
    assert plan("digits", {"name": "cnn"}).params["model"].norm == "none"
    assert plan("volumes", {"name": "cnn", "params": {"norm": "none"}}).params["model"].norm == "none"
    assert plan("volumes", {"name": "cnn", "params": {"batch_norm": False}}).params["model"].norm == "none"
