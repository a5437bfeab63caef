"""Activation functions: a registry of nn.Module factories (the MLP and CNN builders pick from it)."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from engine.registry import Registry

activations = Registry("activation")


class _HeavisideFn(torch.autograd.Function):
    # the derivative of a step is zero almost everywhere: no gradient can flow through it,
    # which is exactly what the playground shows with this unit
    @staticmethod
    def forward(ctx, x):
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return torch.zeros_like(grad)


class Step(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _HeavisideFn.apply(x)


_SIMPLE = {
    "step": (Step, "threshold unit: 1 if x > 0 else 0; its gradient is 0, so nothing learns through it", "1[x>0]"),
    "sigmoid": (nn.Sigmoid, "logistic sigmoid, saturates at both ends", r"\sigma(x)=\frac{1}{1+e^{-x}}"),
    "tanh": (nn.Tanh, "zero-centred sigmoid", r"\tanh(x)"),
    "relu": (nn.ReLU, "rectified linear unit", r"\max(0,x)"),
    "leaky_relu": (nn.LeakyReLU, "ReLU with a small slope (0.01) below zero", r"\max(0.01x,x)"),
    "prelu": (nn.PReLU, "leaky ReLU whose slope is learned", r"\max(ax,x)"),
    "elu": (nn.ELU, "exponential linear unit", r"x\ (x>0);\ e^x-1\ (x\le 0)"),
    "gelu": (nn.GELU, "Gaussian error linear unit", r"x\,\Phi(x)"),
    "silu": (nn.SiLU, "sigmoid-weighted linear unit (swish)", r"x\,\sigma(x)"),
    "softplus": (nn.Softplus, "smooth ReLU", r"\log(1+e^x)"),
    "identity": (nn.Identity, "no non-linearity: a stack of these is one linear map", "x"),
    "softmax": (lambda: nn.Softmax(dim=-1), "normalises a vector into probabilities (output layers)",
                r"\frac{e^{x_i}}{\sum_j e^{x_j}}"),
}

CURVE_RANGE = (-6.0, 6.0)


def curve(module: nn.Module, points: int = 121) -> dict[str, list[float]]:
    """The unit's value and slope over CURVE_RANGE, the slope by autograd: what backprop multiplies by there
    (0 for the step unit, whose backward says so)."""
    x = torch.linspace(*CURVE_RANGE, points, requires_grad=True)
    y = module(x)
    (slope,) = torch.autograd.grad(y.sum(), x)
    return {"x": _rounded(x), "y": _rounded(y), "dy": _rounded(slope)}


def _rounded(t: torch.Tensor) -> list[float]:
    return [float(f"{v:.4g}") for v in t.detach().tolist()]


# softmax has no curve of one input: it is a function of the whole output vector
for _name, (_factory, _text, _formula) in _SIMPLE.items():
    _curve = curve(_factory()) if _name != "softmax" else None
    activations.add(_name, description=_text, formula=_formula, curve=_curve)(lambda params=None, f=_factory: f())

ActivationName = Literal[tuple(activations.names())]  # type: ignore[valid-type]
