"""Each variance-scaling initializer gives a 512-wide layer the variance its description states (within 5%)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.inits import initializers

N_IN, N_OUT = 512, 256
STATED_VARIANCE = {
    "lecun_normal": 1 / N_IN,
    "lecun_uniform": 1 / N_IN,
    "xavier_normal": 2 / (N_IN + N_OUT),
    "xavier_uniform": 2 / (N_IN + N_OUT),
    "kaiming_normal": 2 / N_IN,
    "kaiming_uniform": 2 / N_IN,
}


@pytest.mark.parametrize("name", list(STATED_VARIANCE))
def test_initializer_has_the_stated_variance(name):
    torch.manual_seed(0)
    layer = nn.Linear(N_IN, N_OUT)
    entry = initializers[name]
    entry.build(entry.params())(layer)
    variance = layer.weight.var().item()
    assert abs(variance / STATED_VARIANCE[name] - 1) < 0.05, (name, variance)
    assert (layer.bias == 0).all()


def test_lecun_is_not_xavier_on_a_wide_fan_out():
    """LeCun looks at n_in only: on a 512→2048 layer it is 2.5× Glorot's variance."""
    torch.manual_seed(0)
    lecun, glorot = nn.Linear(512, 2048), nn.Linear(512, 2048)
    initializers["lecun_normal"].build(initializers["lecun_normal"].params())(lecun)
    initializers["xavier_normal"].build(initializers["xavier_normal"].params())(glorot)
    assert 2.3 < lecun.weight.var().item() / glorot.weight.var().item() < 2.7


def test_descriptions_state_the_notes_formulas():
    assert "√(1/n_in)" in initializers["lecun_normal"].description
    assert "√(2/(n_in+n_out))" in initializers["xavier_normal"].description
