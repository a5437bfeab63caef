"""A sweep: an Optuna study over a base config, each trial a separate run. The request is checked here (every
draw of a random sample of the space must make a valid run); app/sweeper.py asks the study for the trials."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError, field_validator

from app import study
from app.sweeps import Dimension, Metric, PathError, apply, check_path, sample
from app.validation import check
from app.work import Launch, NewRun, new_id, one_job_each
from engine.config import BODY, SECTIONS, Plan, RunConfig, explicit
from engine.lazy import lazy

if TYPE_CHECKING:
    from app.service import RunService

db = lazy("app.store")  # SQLAlchemy: loaded with the database, after the server first answers (app/backend.py)

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
    sampler: str = Field("tpe", description=f"how trials are drawn: {', '.join(study.SAMPLERS.names())}")
    pruner: str = Field("median", description=f"what stops poor trials early: {', '.join(study.PRUNERS.names())}")

    @field_validator("sampler")
    @classmethod
    def _known_sampler(cls, name: str) -> str:
        return study.check_name(study.SAMPLERS, name)

    @field_validator("pruner")
    @classmethod
    def _known_pruner(cls, name: str) -> str:
        return study.check_name(study.PRUNERS, name)

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
        bad += study.check(self.space, self.sampler, self.trials)
        if bad:
            raise RequestValidationError(bad)

        # the study draws trials later, as workers free up: a random sample now finds the parts of the space that
        # cannot make a run, while the request can still say so
        problems = []
        for i, values in enumerate(sample(self.space, self.trials, self.seed)):
            problems += [_blame(e, i, values) for e in trial_plan(base, self.base, values, self.pruner, service)[1]]
        if problems:
            raise RequestValidationError(problems[:50])

        record = db.SweepRow(
            id=new_id(), name=self.name, base=self.base, trials=[], metric=self.metric, seed=self.seed,
            space={p: d.model_dump(exclude_none=True) for p, d in self.space.items()},
            created=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            # the explicit base: every default written out, as each trial's run is stored
            search={"sampler": self.sampler, "pruner": self.pruner, "explicit": base, "state": "running",
                    "planned": study.planned(self.space, self.sampler, self.trials), "steps": plan.total_steps},
        )
        return Launch([], [], record, later=min(service.executor.size, record.search["planned"]))


def trial_plan(base: dict[str, Any], raw: dict[str, Any], values: dict[str, Any], pruner: str,
               service: RunService) -> tuple[Plan | None, list[dict[str, Any]]]:
    """A trial's checked run: the drawn values laid on the (explicit) base. Under a pruner every trial validates at
    each logged step (eval_share 1), so that pruners compare trials at the same steps."""
    config = apply(base, raw, values, _accepts)
    if pruner != "none" and "train.eval_share" not in values:
        config["train"]["eval_share"] = 1.0
    return _validate(config, service)


@dataclass
class Trials:
    """The runs of trials the sweeper drew (already checked): a train job each."""

    runs: list[NewRun]

    def plan(self, service: RunService) -> Launch:
        return Launch(self.runs, one_job_each(self.runs))


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
