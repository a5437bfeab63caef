"""Steering a run mid-flight: lr, momentum, weight decay and probes changed between two steps.

A steer comes live from the person (engine/control.py's Steering, read once per step) or from the config's
`train.steers` (a continued run replays its parent's; the exported script replays the run's). Each one applied is a
`steer` event {step, values}: it acts after `step` steps, before the next one. A new lr is the schedule's base lr:
the schedule goes on multiplying it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.events import Steer
from engine.optimizers import optimizers
from engine.registry import Params

OPTIMIZER_KNOBS = ("lr", "momentum", "weight_decay")
STEERABLE = (*OPTIMIZER_KNOBS, "probes")


class SteerValues(BaseModel):
    """What a steer changes; each left out keeps its value. The optimizer's own params model bounds the numbers."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # as engine/config.py's BODY
    lr: float | None = Field(None, description="the new base learning rate (the schedule still multiplies it)")
    momentum: float | None = Field(None, description="for optimizers that have momentum")
    weight_decay: float | None = Field(None, description="for optimizers that have weight_decay")
    probes: bool | None = Field(None, description="false: no probe readings until switched on again")

    @model_validator(mode="after")
    def _something(self) -> SteerValues:
        if not self.values():
            raise ValueError(f"give at least one of {', '.join(STEERABLE)}")
        return self

    def values(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in STEERABLE if getattr(self, k) is not None}


class SteerSpec(SteerValues):
    step: int = Field(ge=0, description="applied after this many steps, before the next one")


def check(steers: list[SteerValues], optimizer: str, params: Params, loc: tuple = (), indexed: bool = True,
          ) -> list[dict[str, Any]]:
    """Errors (with their field paths under `loc`) of steers the optimizer cannot take: a knob it does not have, or
    a value its params model refuses (an lr of 0, a momentum of 1)."""
    errors = []
    fields = type(params).model_fields
    for i, steer in enumerate(steers):
        where = (*loc, i) if indexed else loc
        changes = {k: v for k, v in steer.values().items() if k in OPTIMIZER_KNOBS}
        for key in [k for k in changes if k not in fields]:
            errors.append({"loc": [*where, key], "type": "value_error",
                           "msg": f"optimizer '{optimizer}' has no {key}; it takes {', '.join(fields) or 'nothing'}"})
            changes.pop(key)
        try:
            type(params).model_validate({**params.model_dump(), **changes})
        except ValidationError as exc:
            errors.extend({"loc": [*where, *e["loc"]], "type": e["type"], "msg": e["msg"]}
                          for e in exc.errors(include_url=False))
    return errors


def optimizer_fields(name: str) -> tuple[str, ...]:
    """The steerable knobs optimizer `name` has (what the run page offers)."""
    return tuple(k for k in OPTIMIZER_KNOBS if k in optimizers[name].params.model_fields)


def with_recorded(config: dict[str, Any], recorded: list[dict[str, Any]]) -> dict[str, Any]:
    """A stored config with the steers its run recorded (`steer` events) added to train.steers, by step."""
    steers = list(config["train"].get("steers") or [])
    for event in recorded:
        spec = {"step": event["step"], **event["values"]}
        if spec not in steers:
            steers.append(spec)
    steers.sort(key=lambda spec: spec["step"])
    return {**config, "train": {**config["train"], "steers": steers}}


def apply(run: Any, step: int, values: dict[str, Any], announce: bool = True) -> None:
    """Set `values` on a training member (engine/trainer.py's Run) and emit the steer event of what changed."""
    changed: dict[str, Any] = {}
    scheduler = run.scheduler
    for i, group in enumerate(run.optimizer.param_groups):
        for key in (k for k in OPTIMIZER_KNOBS if k in values and k in group):
            if key == "lr":
                # the schedule's factor at this step times the new base: a cosine or a warm-up goes on as it was
                factor = scheduler.lr_lambdas[i](scheduler.last_epoch)
                scheduler.base_lrs[i] = group["initial_lr"] = values["lr"]
                group["lr"] = values["lr"] * factor
            else:
                group[key] = values[key]
            changed[key] = values[key]
    if "probes" in values:
        run.probes.on = bool(values["probes"])
        changed["probes"] = bool(values["probes"])
    if changed and announce:
        run.member.emit(Steer(step, changed))


def apply_due(job: Any) -> None:
    """Before the next step: the config's steers for this step (a continued run also takes the probe switches from
    before its start, which its checkpoint does not hold), then whatever the person sent."""
    sent = job.control.steering.take()
    if not sent and not job.plan.config.train.steers:
        return  # the usual step: nothing to do but the two reads above
    for run in job.live:
        for spec in run.plan.config.train.steers:
            if spec.step == job.step:
                apply(run, job.step, spec.values())
            elif spec.step < job.step == run.start_step and spec.probes is not None:
                apply(run, job.step, {"probes": spec.probes}, announce=False)
        if sent:
            apply(run, job.step, sent)
