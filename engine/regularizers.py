"""Explicit penalty terms added to the loss (decoupled weight decay lives in the optimizers).

Each entry carries `export_code`: the same penalty as a Python expression over `weights`, written into exported
scripts (engine/export.py checks it against the entry's own penalty to the last bit).
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field

from engine.lazy import torch
from engine.registry import Params, Registry

regularizers = Registry("regularization")

Penalty = Callable[["torch.nn.Module"], "torch.Tensor"]  # names in quotes: an alias is evaluated at import


class PenaltyParams(Params):
    strength: float = Field(1e-4, ge=0.0, le=10.0, description="λ")


def _weights(model: torch.nn.Module) -> list[torch.Tensor]:
    # biases and norm layers are not penalised: only matrices and kernels
    return [p for p in model.parameters() if p.dim() > 1]


@regularizers.add("l2", PenaltyParams, "L2 penalty on the weights; the notes' λ/2m·ΣW² divides by the batch "
                  "size m, here λ includes it", formula=r"\frac{\lambda}{2}\sum W^2",
                  export_code="0.5 * {strength!r} * sum((w * w).sum() for w in weights)")
def l2(params: PenaltyParams) -> Penalty:
    return lambda model: 0.5 * params.strength * sum((w * w).sum() for w in _weights(model))


@regularizers.add("l1", PenaltyParams, "L1 penalty: pushes weights to exactly 0 (sparsity)", formula=r"\lambda\sum |W|",
                  export_code="{strength!r} * sum(w.abs().sum() for w in weights)")
def l1(params: PenaltyParams) -> Penalty:
    return lambda model: params.strength * sum(w.abs().sum() for w in _weights(model))
