"""Learning-rate schedules: each entry gives the factor on the base lr at a step; warm-up wraps any of them.

Formulas use `epoch` as the notes do; here an "epoch" of a schedule is `decay_steps` optimizer steps,
so a schedule means the same thing whatever the batch size.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pydantic import Field

from engine.registry import Params, Registry

schedules = Registry("schedule")

Factor = Callable[[int], float]


class ScheduleParams(Params):
    warmup_steps: int = Field(0, ge=0, le=1_000_000, description="lr rises linearly from 0 over these steps")


class DecayParams(ScheduleParams):
    decay_steps: int = Field(100, ge=1, le=1_000_000, description="steps that count as one decay period")


def with_warmup(factor: Factor, warmup_steps: int) -> Factor:
    if warmup_steps == 0:
        return factor

    def warmed(step: int) -> float:
        return min(1.0, (step + 1) / warmup_steps) * factor(max(0, step - warmup_steps))

    if hasattr(factor, "observe"):
        warmed.observe = factor.observe  # type: ignore[attr-defined]  (plateau still hears the val loss)
    return warmed


@schedules.add("constant", ScheduleParams, "the same lr throughout", formula=r"\eta_t = \eta_0", steady=True)
def constant(params: ScheduleParams, total_steps: int) -> Factor:
    return lambda step: 1.0


class InverseTimeParams(DecayParams):
    decay_rate: float = Field(0.5, ge=0.0, le=100.0)


@schedules.add(
    "inverse_time", InverseTimeParams, "lr falls as one over time",
    formula=r"\eta_t = \frac{\eta_0}{1 + \text{decay\_rate}\cdot t / \text{decay\_steps}}",
)
def inverse_time(params: InverseTimeParams, total_steps: int) -> Factor:
    return lambda step: 1.0 / (1.0 + params.decay_rate * step / params.decay_steps)


class ExponentialParams(DecayParams):
    gamma: float = Field(0.9, gt=0.0, le=1.0, description="k: factor per decay period")


@schedules.add(
    "exponential", ExponentialParams, "lr shrinks by a constant factor per period",
    formula=r"\eta_t = \eta_0 \cdot k^{t / \text{decay\_steps}}",
)
def exponential(params: ExponentialParams, total_steps: int) -> Factor:
    return lambda step: params.gamma ** (step / params.decay_steps)


class StepParams(DecayParams):
    gamma: float = Field(0.5, gt=0.0, le=1.0, description="γ: factor at each drop")


@schedules.add(
    "step", StepParams, "staircase: lr drops by γ every decay_steps",
    formula=r"\eta_t = \eta_0 \cdot \gamma^{\lfloor t / s \rfloor}",
)
def step(params: StepParams, total_steps: int) -> Factor:
    return lambda t: params.gamma ** (t // params.decay_steps)


class CosineParams(ScheduleParams):
    min_factor: float = Field(0.0, ge=0.0, le=1.0, description="final lr as a share of the base lr")


@schedules.add(
    "cosine", CosineParams, "half a cosine from the base lr down to min over the run",
    formula=r"\eta_t = \eta_{min} + \tfrac12(\eta_0-\eta_{min})(1+\cos\frac{\pi t}{T})",
)
def cosine(params: CosineParams, total_steps: int) -> Factor:
    span = max(1, total_steps - params.warmup_steps)
    low = params.min_factor
    return lambda t: low + (1 - low) * 0.5 * (1 + math.cos(math.pi * min(t, span) / span))


def build_factor(name: str, params: ScheduleParams, total_steps: int, offset: int = 0) -> Factor:
    """The factor on the base lr at each step; one with an `observe(val_loss)` method wants the val loss. A schedule
    with an `offset` starts at that step and spans the steps after it (a continuation that restarts it)."""
    factor = with_warmup(schedules[name].build(params, max(1, total_steps - offset)), params.warmup_steps)
    if not offset:
        return factor

    def shifted(step: int) -> float:
        return factor(max(0, step - offset))

    if hasattr(factor, "observe"):
        shifted.observe = factor.observe  # type: ignore[attr-defined]
    return shifted


from engine.schedules import lr_range, modern  # noqa: E402,F401  (registers the entries and the LR range test)
