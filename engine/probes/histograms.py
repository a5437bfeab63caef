"""Weight and gradient histograms over time per layer: fixed bins, a whole run's columns in every reading.

Weights use linear bins on [-L, L] with L a power of two that only grows (doubling merges bin pairs exactly, so
old columns stay right); gradients use fixed bins of log10|g|, where vanishing gradients show as a falling band.
"""

from __future__ import annotations

import math

from pydantic import Field, field_validator

from engine.lazy import numpy as np
from engine.lazy import torch
from engine.probes import ProbeContext, ProbeParams, probes
from engine.probes.common import Timeline, b64_uint8
from engine.probes.layers import weight_layers

LOG_LOW, LOG_HIGH = -10.0, 2.0  # gradient magnitudes from 1e-10 to 100; smaller (and exact zeros) land in bin 0


class HistogramParams(ProbeParams):
    bins: int = Field(32, ge=8, le=64, description="bins per histogram (a multiple of 4)")
    columns: int = Field(40, ge=4, le=200, description="readings kept per layer (older ones thinned out)")
    max_layers: int = Field(8, ge=1, le=32, description="layers shown (evenly spaced, first and last kept)")

    @field_validator("bins")
    @classmethod
    def _multiple_of_four(cls, bins: int) -> int:
        if bins % 4:
            raise ValueError("bins must be a multiple of 4 (a wider range merges pairs of bins)")
        return bins


class WeightStrip:
    """One layer's weight histograms on a shared symmetric range."""

    def __init__(self, bins: int, columns: int):
        self.bins, self.limit, self.timeline = bins, 0.0, Timeline(columns)

    def add(self, step: int, values: torch.Tensor) -> None:
        top = float(values.abs().max())
        if not math.isfinite(top):
            return  # a diverging run ends at this point anyway
        needed = 2.0 ** math.ceil(math.log2(top)) if top > 0 else 2.0**-20
        if self.limit == 0.0:
            self.limit = needed
        while self.limit < needed:
            self.limit *= 2
            quarter = self.bins // 4
            for i, column in enumerate(self.timeline.items):
                wider = np.zeros_like(column)
                wider[quarter : 3 * quarter] = column.reshape(-1, 2).sum(1)
                self.timeline.items[i] = wider
        counts = torch.histc(values.float(), self.bins, -self.limit, self.limit).cpu().numpy().astype(np.int64)
        self.timeline.add(step, counts)

    def reading(self) -> dict:
        return {"lo": -self.limit, "hi": self.limit, **_strip(self.timeline)}


class GradStrip:
    """One layer's gradient magnitudes, log10|g| in fixed bins."""

    def __init__(self, bins: int, columns: int):
        self.bins, self.timeline = bins, Timeline(columns)

    def add(self, step: int, grad: torch.Tensor) -> None:
        logs = torch.log10(grad.float().abs().clamp_min(10**LOG_LOW)).clamp_(LOG_LOW, LOG_HIGH - 1e-6)
        counts = torch.histc(logs, self.bins, LOG_LOW, LOG_HIGH).cpu().numpy().astype(np.int64)
        self.timeline.add(step, counts)

    def reading(self) -> dict:
        return {"lo": LOG_LOW, "hi": LOG_HIGH, **_strip(self.timeline)}


def _strip(timeline: Timeline) -> dict:
    """Columns as one base64 uint8 block (column-major: bins of the first reading first), each column scaled
    to its own peak: a heat strip shows where the mass is; the newest column's counts are sent exactly."""
    columns = np.stack(timeline.items).astype(np.float64)
    peaks = np.maximum(columns.max(1, keepdims=True), 1)
    scaled = np.round(255 * columns / peaks).astype(np.uint8)
    return {"steps": list(timeline.steps), "z": b64_uint8(scaled), "counts": timeline.items[-1].tolist()}


@probes.add(
    "histograms", HistogramParams, "weight and gradient histograms of each layer over time (heat strips)",
    applies=lambda info: True, default=True,
    formula=r"\text{counts of } W \text{ and } \log_{10}|\nabla W| \text{ per bin}",
)
def histograms(params: HistogramParams, ctx: ProbeContext):
    weights: dict[str, WeightStrip] = {}
    grads: dict[str, GradStrip] = {}

    @torch.no_grad()
    def read(model, step: int):
        for name, w in weight_layers(model, params.max_layers):
            weights.setdefault(name, WeightStrip(params.bins, params.columns)).add(step, w.detach())
            if w.grad is not None:  # none before the first step
                grads.setdefault(name, GradStrip(params.bins, params.columns)).add(step, w.grad.detach())
        return {
            "bins": params.bins,
            "layers": list(weights),
            "weights": {name: strip.reading() for name, strip in weights.items() if strip.timeline.items},
            "grads": {name: strip.reading() for name, strip in grads.items() if strip.timeline.items},
        }

    return read
