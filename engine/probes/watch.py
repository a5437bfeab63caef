"""Watches: probes that read inside logged training steps (Lightning's hook names) and add metrics, not events.

A registry entry with `watch=True` builds an object with on_train_batch_start(model) (before optimizer.step),
on_before_optimizer_step(model) (after backward, before clipping) and metrics(model) -> {name: value}.
"""

from __future__ import annotations

from typing import Protocol

from engine.lazy import torch
from engine.probes import ProbeContext, ProbeParams, ProbeRunner, build, probes


class Watch(Protocol):
    def on_train_batch_start(self, model: torch.nn.Module) -> None: ...

    def on_before_optimizer_step(self, model: torch.nn.Module) -> None: ...

    def metrics(self, model: torch.nn.Module) -> dict[str, float | None]: ...


def build_all(chosen: list[tuple[str, ProbeParams]], ctx: ProbeContext) -> tuple[list[ProbeRunner], list[Watch]]:
    """(runners read on their cadence, watches hooked into logged steps) for the probes a plan chose."""
    runners = [build(name, params, ctx) for name, params in chosen if not probes[name].meta.get("watch")]
    watches = [probes[name].build(params, ctx) for name, params in chosen if probes[name].meta.get("watch")]
    return runners, watches
