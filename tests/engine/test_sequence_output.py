"""NET-10 many-to-many: `output: "sequence"` answers at every step, the loss has one term per step, and accuracy
counts positions; `sequence_tagging` is the data set that needs it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from engine_helpers import config, info_of, run

from engine.architecture import survey
from engine.config import ConfigError, resolve
from engine.datasets import datasets
from engine.losses import losses
from engine.networks import networks
from engine.trainer import evaluate


def _build(name: str, dataset: str, **params):
    torch.manual_seed(0)
    info = info_of(dataset)
    return networks[name].build(networks[name].params(hidden_size=8, **params), info, max(info.n_classes, 1))


def test_the_tagging_labels_count_the_ones_so_far():
    x, y = datasets["sequence_tagging"].build(datasets["sequence_tagging"].params(n_classes=3, noise=0.0), 0)
    bits = x[..., 0].round().long()
    assert y.shape == bits.shape and torch.equal(y, bits.cumsum(1) % 3)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_auto_output_is_many_to_many_on_tagging_and_many_to_one_elsewhere(cell):
    steps = info_of("sequence_tagging").input_shape[0]
    tagger = _build(cell, "sequence_tagging")
    assert tagger(torch.randn(4, steps, 1)).shape == (4, steps, 3)
    assert _build(cell, "parity")(torch.randn(4, 8, 1)).shape == (4, 2)
    assert _build(cell, "parity", output="mean")(torch.randn(4, 8, 1)).shape == (4, 2)


def test_sequence_output_gives_one_loss_term_per_step():
    model = _build("gru", "sequence_tagging", output="sequence")
    info = info_of("sequence_tagging")
    objective = losses["cross_entropy"].build(losses["cross_entropy"].params(), info)
    x, y = torch.randn(5, info.input_shape[0], 1), torch.randint(0, 3, (5, info.input_shape[0]))
    out = model(x).detach().requires_grad_(True)
    loss = objective.fn(out, objective.prepare(y))
    per_step = torch.stack([F.cross_entropy(out[:, t], y[:, t]) for t in range(out.shape[1])])
    assert torch.isclose(loss, per_step.mean())
    loss.backward()
    assert (out.grad.abs().sum((0, 2)) > 0).all()  # every step's output gets its own gradient
    # the accuracy is the share of positions labelled right
    predicted = objective.predict(out)
    assert predicted.shape == y.shape


def test_accuracy_counts_positions():
    info = info_of("sequence_tagging")
    objective = losses["cross_entropy"].build(losses["cross_entropy"].params(), info)
    y = torch.zeros(4, 10, dtype=torch.long)
    logits = torch.zeros(4, 10, 3)
    logits[..., 0] = 1.0
    logits[:, :3, 1] = 2.0  # the first 3 of 10 positions of every sequence are wrong

    class Fixed(torch.nn.Module):
        def forward(self, x):
            return logits

    _, acc = evaluate(Fixed(), objective, torch.zeros(4, 10, 1), y)
    assert acc == pytest.approx(0.7)


@pytest.mark.parametrize("dataset,output", [("sequence_tagging", "last"), ("sequence_tagging", "mean"),
                                            ("parity", "sequence")])
def test_an_output_that_does_not_match_the_labels_is_a_config_error(dataset, output):
    with pytest.raises(ConfigError) as caught:  # building the network finds it: the survey, in the planner process
        survey(config(dataset, "lstm", model_spec={"name": "lstm", "params": {"output": output}}))
    assert caught.value.errors[0]["loc"] == ["model", "params"] and "does not match" in caught.value.errors[0]["msg"]


def test_only_recurrent_nets_take_tagging_data():
    with pytest.raises(ConfigError) as caught:
        resolve(config("sequence_tagging", "transformer"))
    assert caught.value.errors[0]["loc"] == ["model", "name"]


@pytest.mark.parametrize("loss", ["cross_entropy", "bce", "mse", "nll"])
def test_a_tagger_trains_with_any_classification_loss(loss):
    result = run(config("sequence_tagging", "gru", loss=loss, steps=4))
    assert result.done.status == "completed" and 0.0 <= result.curve("val_acc")[-1] <= 1.0
