"""The learning-rate range test's schedule (EXP-3): the lr rises exponentially from min_lr to max_lr over the run.

A factor multiplies the optimizer's base lr and cannot see it, so this one takes the base lr to be max_lr:
the factor climbs from min_lr/max_lr to 1. The lab's range test sets the optimizer's lr to max_lr for this.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from engine.schedules import ScheduleParams, schedules


class LRRangeParams(ScheduleParams):
    min_lr: float = Field(1e-6, gt=0.0, le=10.0, description="lr of the first step")
    max_lr: float = Field(1.0, gt=0.0, le=10.0, description="lr of the last step; set the optimizer's lr to this")

    @model_validator(mode="after")
    def _rising(self) -> LRRangeParams:
        if self.min_lr >= self.max_lr:
            raise ValueError("min_lr must be below max_lr")
        return self


@schedules.add(
    "lr_range", LRRangeParams,
    "LR range test: the lr sweeps exponentially from min_lr up to max_lr (the optimizer's lr) over the run",
    formula=r"\eta_t = \eta_{min} \left(\eta_{max} / \eta_{min}\right)^{t / (T-1)}",
)
def lr_range(params: LRRangeParams, total_steps: int):
    span = max(1, total_steps - params.warmup_steps - 1)
    ratio = params.min_lr / params.max_lr
    # factor(0) = min/max on the first step; factor(span) = 1 (the optimizer's lr, = max_lr) on the last
    return lambda step: ratio ** (1.0 - min(step, span) / span)
