"""Helpers the probes share: eval mode for a reading, the probe input, capped layer lists, bounded timelines."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import Field

from engine.lazy import numpy as np
from engine.lazy import torch
from engine.probes import ProbeContext, ProbeParams


class SampleParams(ProbeParams):
    sample: int = Field(0, ge=0, le=100_000, description="which validation sample is the probe input")


@contextmanager
def evaluating(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Eval mode and no autograd for a reading (no dropout, BN uses its running stats), then back as it was."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def run_with_hooks(model: torch.nn.Module, layers: list[tuple[str, torch.nn.Module]], x: torch.Tensor, keep) -> None:
    """One eval-mode forward of `x` with `keep(name, module, inputs, output)` called for each named layer."""
    hooks = [m.register_forward_hook(lambda mod, args, out, name=name: keep(name, mod, args, out))
             for name, m in layers]
    try:
        with evaluating(model):
            model(x)
    finally:
        for hook in hooks:
            hook.remove()


def probe_input(ctx: ProbeContext, sample: int) -> torch.Tensor:
    """One validation sample as a batch of one (the last one if `sample` is past the end)."""
    x_val = ctx.data.x_val
    index = min(sample, len(x_val) - 1)
    return x_val[index : index + 1]


def sample_label(ctx: ProbeContext, sample: int) -> str | None:
    """The probe input's class name (None for regression)."""
    info = ctx.data.info
    if info.task != "classification":
        return None
    label = int(ctx.data.y_val[min(sample, len(ctx.data.y_val) - 1)])
    return info.class_names[label] if label < len(info.class_names) else str(label)


def spread(items: list, limit: int) -> list:
    """At most `limit` items, evenly spaced, always with the first and the last (depth matters most at the ends)."""
    if len(items) <= limit:
        return items
    picks = np.linspace(0, len(items) - 1, limit).round().astype(int)
    return [items[i] for i in sorted(set(picks.tolist()))]


def b64_uint8(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype=np.uint8).tobytes()).decode("ascii")


class Timeline:
    """Readings over time, at most `limit` kept: when full, every other old one goes (the newest always stays),
    so a whole run fits in one reading and reopening a finished run shows its whole history."""

    def __init__(self, limit: int):
        self.limit = limit
        self.steps: list[int] = []
        self.items: list = []

    def add(self, step: int, item) -> None:
        self.steps.append(step)
        self.items.append(item)
        if len(self.steps) > self.limit:
            keep = [*range(0, len(self.steps) - 1, 2), len(self.steps) - 1]
            self.steps = [self.steps[i] for i in keep]
            self.items = [self.items[i] for i in keep]
