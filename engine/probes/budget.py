"""A run's probes and the share of its training time they may take: watches hook into logged steps; readers run
on their own grid, widened (engine/cadence.py) so that all of them together stay within the share."""

from __future__ import annotations

import time
from collections.abc import Callable

from engine.cadence import Cadence
from engine.events import Event, Probe
from engine.lazy import torch
from engine.probes import ProbeContext, ProbeParams
from engine.probes.watch import build_all


class ProbeSet:
    def __init__(self, chosen: list[tuple[str, ProbeParams]], ctx: ProbeContext, share: float):
        self.runners, self.watches = build_all(chosen, ctx)
        # the readers split the share between them, however many there are (a share of 1 is no limit at all)
        each = share if share >= 1.0 else share / max(1, len(self.runners))
        self.cadences = [Cadence(runner.every, each) for runner in self.runners]
        self.on = True  # a steer can switch every probe off and on again (engine/steering.py)

    def on_train_batch_start(self, model: torch.nn.Module) -> None:
        for watch in self.watches if self.on else ():
            watch.on_train_batch_start(model)  # keeps the weights to measure this step's update

    def on_before_optimizer_step(self, model: torch.nn.Module) -> None:
        for watch in self.watches if self.on else ():
            watch.on_before_optimizer_step(model)

    def metrics(self, model: torch.nn.Module) -> dict[str, float | None]:
        values: dict[str, float | None] = {}
        for watch in self.watches if self.on else ():
            values.update(watch.metrics(model))
        return values

    def read(self, model: torch.nn.Module, step: int, edge: bool, step_seconds: float,
             emit: Callable[[Event], None]) -> None:
        """Emit the readings due at `step` (all of them at the first and last points). `step_seconds` is this
        run's mean training time a step so far (0 = not known yet), what the readings are priced against."""
        if not self.on:
            return
        for runner, cadence in zip(self.runners, self.cadences, strict=True):
            if step_seconds:
                cadence.spent(0.0, step_seconds)  # prices the first reading, taken before any step was timed
            if edge or cadence.due(step):
                began = time.perf_counter()
                reading = runner.read(model, step)
                if reading is not None:
                    emit(Probe(step, runner.name, reading))
                cadence.spent(time.perf_counter() - began, step_seconds)
