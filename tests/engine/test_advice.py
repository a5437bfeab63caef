"""Advice reads the registry entries: a loss that regresses, paired with a classification set, is warned about."""

from __future__ import annotations

import pytest
from engine_helpers import config

from engine.advice import advise
from engine.config import resolve
from engine.losses import losses

CLASSIFYING = [e.name for e in losses if "classification" in e.meta["tasks"]]


@pytest.mark.parametrize("name", CLASSIFYING)
def test_a_regression_loss_on_classes_is_warned_about_and_no_other(name):
    warned = any("regresses one-hot targets" in item["message"] for item in advise(resolve(config("moons", loss=name))))
    assert warned == ("regression" in losses[name].meta["tasks"])
