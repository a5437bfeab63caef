"""torch side of engine/networks/activations.py: the step unit and the curves the catalog serves.

The curves are computed here, by autograd, and stored in activation_curves.json: the web process serves them
without importing torch. After changing a unit, rewrite the file with `python -m engine.networks._activations`
(tests/engine/test_networks.py fails while it is stale).
"""

from __future__ import annotations

import json

import torch
from torch import nn

from engine.networks.activations import CURVE_RANGE, CURVES_FILE, activations


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


def curve(module: nn.Module, points: int = 121) -> dict[str, list[float]]:
    """The unit's value and slope over CURVE_RANGE, the slope by autograd: what backprop multiplies by there
    (0 for the step unit, whose backward says so)."""
    x = torch.linspace(*CURVE_RANGE, points, requires_grad=True)
    y = module(x)
    (slope,) = torch.autograd.grad(y.sum(), x)
    return {"x": _rounded(x), "y": _rounded(y), "dy": _rounded(slope)}


def _rounded(t: torch.Tensor) -> list[float]:
    return [float(f"{v:.4g}") for v in t.detach().tolist()]


def curves() -> dict[str, dict[str, list[float]]]:
    """Every unit's curve; softmax has none: it is a function of the whole output vector, not of one input."""
    return {entry.name: curve(entry.build()) for entry in activations if entry.name != "softmax"}


def write_curves() -> None:
    lines = [f"{json.dumps(name)}: {json.dumps(points)}" for name, points in curves().items()]
    CURVES_FILE.write_text("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    write_curves()
