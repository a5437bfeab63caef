"""Activation statistics per layer over a fixed validation batch: mean, std, dead ReLUs and saturated units.

A unit is one output element (a neuron, or a position of a conv channel); a ReLU unit is dead when it is never
positive over the batch (no gradient reaches its weights). Readings keep the whole run, thinned like histograms.
Each reading also carries the latest pre-activation histogram per layer (drawn under the unit's curve and slope)
and, per batch-norm layer, the batch's own statistics beside the running ones that eval mode uses.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from pydantic import Field

from engine.lazy import torch
from engine.networks.activations import CURVE_RANGE, activations
from engine.probes import ProbeContext, ProbeParams, probes
from engine.probes.common import Timeline, run_with_hooks, spread


class Kinds(NamedTuple):
    rectifiers: tuple[type, ...]  # zero gradient below 0: these units can die
    squashers: dict[type, tuple[float, float]]  # outside these the slope is under ~8%
    activations: tuple[type, ...]
    batch_norms: tuple[type, ...]
    registry_name: dict[type, str]  # nn.ReLU -> "relu"


@functools.cache
def kinds() -> Kinds:
    """The layer classes the probe tells apart; torch's, so made on first use, not when the web imports this."""
    nn = torch.nn
    registry_name = {type(activations[e.name].build()): e.name for e in activations}
    rectifiers = (nn.ReLU, nn.ReLU6, type(activations["step"].build()))
    squashers = {nn.Sigmoid: (0.02, 0.98), nn.Tanh: (-0.96, 0.96)}
    return Kinds(rectifiers, squashers,
                 (*rectifiers, *squashers, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Softplus),
                 (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d), registry_name)


INPUT_BINS = 48
MAX_CHANNELS = 64


class ActivationParams(ProbeParams):
    samples: int = Field(128, ge=1, le=4096, description="validation samples in the fixed batch")
    max_layers: int = Field(16, ge=1, le=64, description="activation layers shown (evenly spaced)")
    points: int = Field(60, ge=4, le=500, description="readings kept (older ones thinned out)")


def activation_layers(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    return [(name, m) for name, m in model.named_modules() if isinstance(m, kinds().activations)]


def unit_stats(module: torch.nn.Module, out: torch.Tensor) -> dict[str, float | None]:
    flat = out.detach().float().reshape(len(out), -1)
    stats = {"mean": flat.mean().item(), "std": flat.std().item() if flat.numel() > 1 else 0.0,
             "dead": None, "saturated": None}
    if isinstance(module, kinds().rectifiers):
        stats["dead"] = 1.0 - (flat > 0).any(0).float().mean().item()
    for kind, (low, high) in kinds().squashers.items():
        if isinstance(module, kind):
            stats["saturated"] = ((flat < low) | (flat > high)).float().mean().item()
    return stats


@probes.add(
    "activation_stats", ActivationParams, "mean, std, dead ReLU and saturated fractions of each activation layer",
    applies=lambda info: True, default=True,
    formula=r"\mu(a),\ \sigma(a),\ P(a = 0)\ \text{(dead)},\ P(\sigma'(z) \approx 0)\ \text{(saturated)}",
)
def activation_stats(params: ActivationParams, ctx: ProbeContext):
    x = ctx.data.x_val[: params.samples]
    timeline = Timeline(params.points)

    def read(model, step: int):
        layers = spread(activation_layers(model), params.max_layers)
        if not layers:
            return None  # recurrent cores keep their gates inside; the gates probe shows those
        batch_norms = kinds().batch_norms
        norms = [(name, m) for name, m in model.named_modules() if isinstance(m, batch_norms)]
        found: dict[str, dict] = {}
        inputs: dict[str, list[int]] = {}
        batch_norm: dict[str, dict] = {}

        def keep(name: str, module: torch.nn.Module, args: tuple, out: torch.Tensor) -> None:
            if isinstance(module, batch_norms):
                batch_norm[name] = norm_stats(module, args[0])
            else:
                found[name] = unit_stats(module, out)
                inputs[name] = input_histogram(args[0])

        run_with_hooks(model, [*layers, *norms], x, keep)
        timeline.add(step, found)
        names = list(found)
        registry_name = kinds().registry_name
        series = {name: _series(timeline, name) for name in names}
        return {"steps": list(timeline.steps), "layers": names, "series": series,
                "kinds": {name: type(module).__name__ for name, module in layers if name in found},
                "functions": {name: registry_name.get(type(module)) for name, module in layers if name in found},
                "inputs": inputs, "input_range": list(CURVE_RANGE), "batch_norm": batch_norm}

    return read


def input_histogram(pre: torch.Tensor) -> list[int]:
    """Counts of the pre-activations over CURVE_RANGE; values beyond it pile into the end bins (far into
    saturation or the dead side, which is what the panel is there to show)."""
    low, high = CURVE_RANGE
    values = pre.detach().float().flatten().clamp(low, high)
    return torch.histc(values, INPUT_BINS, low, high).long().tolist()


def norm_stats(module: torch.nn.Module, pre: torch.Tensor) -> dict[str, list[float]]:
    """Per channel (the first MAX_CHANNELS): the mean and variance of this batch, which training normalizes with,
    and the running averages, which eval mode normalizes with."""
    channels = pre.detach().float().transpose(0, 1).reshape(pre.shape[1], -1)[:MAX_CHANNELS]
    stats = {"batch_mean": channels.mean(1), "batch_var": channels.var(1, unbiased=False)}
    if module.running_mean is not None:
        stats.update(running_mean=module.running_mean[:MAX_CHANNELS], running_var=module.running_var[:MAX_CHANNELS])
    return {key: [_round(v) for v in value.tolist()] for key, value in stats.items()}


def _series(timeline: Timeline, name: str) -> dict[str, list]:
    """One layer's statistics over the kept readings; a statistic that never applies (dead, for tanh) is left out."""
    out = {}
    for key in ("mean", "std", "dead", "saturated"):
        values = [_round(item.get(name, {}).get(key)) for item in timeline.items]
        if any(v is not None for v in values):
            out[key] = values
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")
