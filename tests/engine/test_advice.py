"""Advice reads the registry entries: a loss that regresses, paired with a classification set, is warned about."""

from __future__ import annotations

import pytest
from engine_helpers import config

from engine.advice import advise
from engine.config import resolve
from engine.inits import initializers
from engine.losses import losses

CLASSIFYING = [e.name for e in losses if "classification" in e.meta["tasks"]]


@pytest.mark.parametrize("name", CLASSIFYING)
def test_a_regression_loss_on_classes_is_warned_about_and_no_other(name):
    warned = any("regresses one-hot targets" in item["message"] for item in advise(resolve(config("moons", loss=name))))
    assert warned == ("regression" in losses[name].meta["tasks"])


def _messages(**sections) -> list[str]:
    return [item["message"] for item in advise(resolve(config("moons", **sections)))]


@pytest.mark.parametrize("name", CLASSIFYING)
def test_a_hidden_softmax_is_told_what_the_loss_already_applies(name):
    said = _messages(loss=name, model_spec={"name": "mlp", "params": {"activation": "softmax"}})
    assert any("already applies softmax" in m for m in said) == (losses[name].meta.get("squashes") == "softmax")
    assert losses["kl_div"].meta["squashes"] == "softmax"  # the old name list missed it


@pytest.mark.parametrize("name", CLASSIFYING)
def test_labels_become_signs_for_the_losses_whose_entry_says_so(name):
    said = any("needs labels ±1" in m for m in _messages(loss=name))
    assert said == bool(losses[name].meta.get("signed_labels"))


@pytest.mark.parametrize("name", initializers.names())
def test_a_symmetric_init_is_warned_about_and_no_other(name):
    said = any("symmetry is never broken" in m for m in _messages(init={"name": name}))
    assert said == bool(initializers[name].meta.get("symmetric"))
    assert initializers["zeros"].meta["symmetric"] and initializers["constant"].meta["symmetric"]
