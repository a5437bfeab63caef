"""One-cycle (PyTorch's OneCycleLR as a factor) and reduce-on-plateau (driven by the validation loss).

A factor with an `observe(val_loss)` method is told the validation loss at every log point.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from engine.schedules import ScheduleParams, schedules


class OneCycleParams(ScheduleParams):
    pct_start: float = Field(0.3, gt=0.0, lt=1.0, description="share of the run spent rising to the base lr")
    div_factor: float = Field(25.0, ge=1.0, le=1e4, description="the run starts at base lr / div_factor")
    final_div_factor: float = Field(1e4, ge=1.0, le=1e6, description="and ends at the start lr / final_div_factor")
    anneal_strategy: Literal["cos", "linear"] = Field("cos")


def _anneal(strategy: str, start: float, end: float, pct: float) -> float:
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


@schedules.add(
    "one_cycle", OneCycleParams,
    "one cycle: warm up to the base lr, then anneal far below it (Smith's super-convergence)",
    formula=r"\eta_0/d \nearrow \eta_0 \searrow \eta_0/(d\cdot d_f)",
)
def one_cycle(params: OneCycleParams, total_steps: int):
    # the same phases as torch.optim.lr_scheduler.OneCycleLR (three_phase=False), divided by the max lr
    total = max(2, total_steps - params.warmup_steps)
    initial = 1.0 / params.div_factor
    phases = [(float(params.pct_start * total) - 1, initial, 1.0),
              (float(total - 1), 1.0, initial / params.final_div_factor)]

    def factor(step: int) -> float:
        start_step = 0.0
        for i, (end_step, start, end) in enumerate(phases):
            if step <= end_step or i == len(phases) - 1:
                pct = (step - start_step) / (end_step - start_step) if end_step != start_step else 1.0
                return _anneal(params.anneal_strategy, start, end, min(pct, 1.0))
            start_step = end_step
        return phases[-1][2]

    return factor


class PlateauParams(ScheduleParams):
    factor: float = Field(0.1, gt=0.0, lt=1.0, description="multiply the lr by this when the val loss stalls")
    patience: int = Field(5, ge=0, le=10_000, description="evaluations without improvement before a cut")
    threshold: float = Field(1e-4, ge=0.0, le=1.0, description="relative improvement that counts as better")
    cooldown: int = Field(0, ge=0, le=10_000, description="evaluations to wait after a cut")
    min_factor: float = Field(0.0, ge=0.0, le=1.0, description="the lr never goes below base lr × this")


class Plateau:
    """ReduceLROnPlateau's rule (mode 'min', relative threshold) as a factor: steps between log points keep it.

    Only plain numbers live on it: LambdaLR.state_dict() saves a callable object's __dict__ with checkpoints.
    """

    def __init__(self, params: PlateauParams):
        self.factor, self.patience, self.threshold = params.factor, params.patience, params.threshold
        self.cooldown, self.min_factor = params.cooldown, params.min_factor
        self.scale, self.best, self.bad, self.cooling = 1.0, math.inf, 0, 0

    def __call__(self, step: int) -> float:
        return self.scale

    def observe(self, val_loss: float) -> None:
        if val_loss < self.best * (1 - self.threshold):
            self.best, self.bad = val_loss, 0
        else:
            self.bad += 1
        if self.cooling > 0:
            self.cooling -= 1
            self.bad = 0
        if self.bad > self.patience:
            self.scale = max(self.scale * self.factor, self.min_factor)
            self.cooling, self.bad = self.cooldown, 0


@schedules.add(
    "plateau", PlateauParams, "reduce on plateau: cut the lr by a factor when the validation loss stops improving",
    formula=r"\eta \leftarrow \gamma\,\eta \text{ after } p \text{ evaluations without a better val loss}",
)
def plateau(params: PlateauParams, total_steps: int) -> Plateau:
    return Plateau(params)
