"""Activation functions: a registry of nn.Module factories (the MLP and CNN builders pick from it).

Each entry builds its module when called; its `curve` (value and slope, for the activation lesson) is read from
activation_curves.json, which engine/networks/_activations.py computes by autograd.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from engine.lazy import torch
from engine.registry import Registry

activations = Registry("activation")

CURVE_RANGE = (-6.0, 6.0)
CURVES_FILE = Path(__file__).with_name("activation_curves.json")


def _step() -> torch.nn.Module:
    from engine.networks._activations import Step

    return Step()


_SIMPLE = {
    "step": (_step, "threshold unit: 1 if x > 0 else 0; its gradient is 0, so nothing learns through it", "1[x>0]"),
    "sigmoid": (lambda: torch.nn.Sigmoid(), "logistic sigmoid, saturates at both ends",
                r"\sigma(x)=\frac{1}{1+e^{-x}}"),
    "tanh": (lambda: torch.nn.Tanh(), "zero-centred sigmoid", r"\tanh(x)"),
    "relu": (lambda: torch.nn.ReLU(), "rectified linear unit", r"\max(0,x)"),
    "leaky_relu": (lambda: torch.nn.LeakyReLU(), "ReLU with a small slope (0.01) below zero", r"\max(0.01x,x)"),
    "prelu": (lambda: torch.nn.PReLU(), "leaky ReLU whose slope is learned", r"\max(ax,x)"),
    "elu": (lambda: torch.nn.ELU(), "exponential linear unit", r"x\ (x>0);\ e^x-1\ (x\le 0)"),
    "gelu": (lambda: torch.nn.GELU(), "Gaussian error linear unit", r"x\,\Phi(x)"),
    "silu": (lambda: torch.nn.SiLU(), "sigmoid-weighted linear unit (swish)", r"x\,\sigma(x)"),
    "softplus": (lambda: torch.nn.Softplus(), "smooth ReLU", r"\log(1+e^x)"),
    "identity": (lambda: torch.nn.Identity(), "no non-linearity: a stack of these is one linear map", "x"),
    "softmax": (lambda: torch.nn.Softmax(dim=-1), "normalises a vector into probabilities (output layers)",
                r"\frac{e^{x_i}}{\sum_j e^{x_j}}"),
}

_CURVES = json.loads(CURVES_FILE.read_text())
for _name, (_factory, _text, _formula) in _SIMPLE.items():
    activations.add(_name, description=_text, formula=_formula, curve=_CURVES.get(_name))(
        lambda params=None, f=_factory: f()
    )

ActivationName = Literal[tuple(activations.names())]  # type: ignore[valid-type]

