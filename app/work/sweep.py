"""A sweep: random search over a base config, each trial a separate run (app/sweeps.py draws the trials)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from app.store import SweepRow
from app.sweeps import Dimension, Metric, PathError, apply, check_path, sample
from app.validation import check
from app.work import Launch, NewRun, new_id, one_job_each
from engine.config import BODY, SECTIONS, Plan, RunConfig, explicit

if TYPE_CHECKING:
    from app.service import RunService

MAX_TRIALS = 64


class SweepCreate(BaseModel):
    model_config = BODY
    name: str | None = Field(None, max_length=200)
    base: dict[str, Any] = Field(description="a RunConfig; every trial starts from it")
    space: dict[str, Dimension] = Field(min_length=1, max_length=16,
                                        description="dotted setting path (optimizer.params.lr) -> distribution")
    trials: int = Field(8, ge=1, le=MAX_TRIALS)
    seed: int = Field(0, ge=0, le=2**31 - 1, description="seeds the sampling; train.seed stays the base's")
    metric: Metric = Field("val_loss", description="val_loss is minimized, val_acc maximized")

    def plan(self, service: RunService) -> Launch:
        plan, errors = _validate(self.base, service)
        if plan is None:
            raise RequestValidationError([{**e, "loc": ["body", "base", *e["loc"]]} for e in errors])
        base = explicit(plan).model_dump(mode="json")
        swept = {p.split(".")[0] for p in self.space if p.split(".")[1:] == ["name"]}
        bad = []
        for path in self.space:
            try:
                check_path(base, path, swept)
            except PathError as exc:
                bad.append({"loc": ["body", "space", path], "msg": str(exc), "type": "value_error"})
        if bad:
            raise RequestValidationError(bad)

        drawn = sample(self.space, self.trials, self.seed)
        plans, problems = [], []
        for i, values in enumerate(drawn):
            trial, errors = _validate(apply(base, self.base, values, _accepts), service)
            plans.append(trial)
            problems += [_blame(e, i, values) for e in errors]
        if problems:
            raise RequestValidationError(problems[:50])

        runs = [NewRun(explicit(trial).model_copy(update={"name": f"{self.name or 'sweep'} · trial {i}"[:200]}),
                       trial.total_steps) for i, trial in enumerate(plans)]
        record = SweepRow(
            id=new_id(), name=self.name, base=self.base,
            space={p: d.model_dump(exclude_none=True) for p, d in self.space.items()},
            trials=[{"run_id": r.id, "values": v} for r, v in zip(runs, drawn, strict=True)],
            metric=self.metric, seed=self.seed, created=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
        return Launch(runs, one_job_each(runs), record)


def _accepts(section: str, name: Any) -> set[str]:
    registry = SECTIONS.get(section)
    return set(registry[name].params.model_fields) if registry and isinstance(name, str) and name in registry else set()


def _validate(config: dict[str, Any], service: RunService) -> tuple[Plan | None, list[dict[str, Any]]]:
    """The checks of a run, errors returned (locs without "body") instead of raised."""
    try:
        return check(RunConfig.model_validate(config), service.settings)[0], []
    except ValidationError as exc:
        return None, [{**e, "loc": list(e["loc"])} for e in exc.errors(include_url=False)]
    except RequestValidationError as exc:
        return None, [{**e, "loc": list(e["loc"][1:])} for e in exc.errors()]


def _blame(error: dict[str, Any], index: int, values: dict[str, Any]) -> dict[str, Any]:
    """A trial's error, on the space path that caused it when one did, else on the trial."""
    field = ".".join(map(str, error["loc"]))
    culprit = next((p for p in values if field == p or field.startswith(p + ".")
                    or (p.endswith(".name") and field.startswith(p.removesuffix("name")))), None)
    below = [p for p in values if p.startswith(field + ".")]
    if culprit is None and len(below) == 1:  # an error on a whole section (train, model.params) with one knob in it
        culprit = below[0]
    loc = ["body", "space", culprit] if culprit else ["body", "trials", index, *error["loc"]]
    drawn = ", ".join(f"{p}={v}" for p, v in values.items())
    return {"loc": loc, "msg": f"trial {index} ({drawn}): {field}: {error['msg']}", "type": error["type"]}
