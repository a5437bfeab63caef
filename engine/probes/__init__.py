"""Probes look inside a run at a cadence; each entry builds a callable (model, step) -> data dict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from engine.datasets import DataBundle
from engine.lazy import torch
from engine.losses import Objective
from engine.registry import Params, Registry, load_entries

probes = Registry("probe")


class ProbeParams(Params):
    every: int = Field(0, ge=0, le=1_000_000, description="steps between readings; 0 = about 60 per run")


@dataclass
class ProbeContext:
    data: DataBundle
    objective: Objective
    total_steps: int
    eval_every: int


@dataclass
class ProbeRunner:
    name: str
    every: int
    read: Callable[[torch.nn.Module, int], dict[str, Any] | None]


def cadence(params: ProbeParams, ctx: ProbeContext, readings: int = 60) -> int:
    """Steps between readings: as asked, or about `readings` per run on the logging grid."""
    if params.every:
        return params.every
    per = max(1, ctx.total_steps // readings)
    return max(ctx.eval_every, -(-per // ctx.eval_every) * ctx.eval_every)


def build(name: str, params: ProbeParams, ctx: ProbeContext) -> ProbeRunner:
    return ProbeRunner(name, cadence(params, ctx), probes[name].build(params, ctx))


def class_scores(model: torch.nn.Module, objective: Objective, x: torch.Tensor) -> torch.Tensor:
    """Per-class scores in [0, 1] whatever the head: sigmoid for one logit, softmax otherwise."""
    with torch.no_grad():
        out = model(x)
        if out.shape[1] == 1:
            p = torch.sigmoid(out[:, 0])
            return torch.stack([1 - p, p], 1)
        return torch.softmax(out, dim=1)


load_entries(__name__, __path__, first=["boundary", "layers", "histograms", "activations", "feature_maps", "curves",
                                        "sequence", "classes"])
