"""A race: several variants of one RunConfig trained fairly (same data, initial weights and batch order)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from app.compare import differences
from app.executor import RaceJob
from app.validation import check
from app.work import Launch, NewRun, new_id, one_job_each, relocate
from engine.batching import batching_obstacle
from engine.config import BODY, RunConfig, explicit
from engine.lazy import lazy

if TYPE_CHECKING:
    from app.service import RunService

db = lazy("app.store")  # SQLAlchemy: loaded with the database, after the server first answers (app/backend.py)

KEPT = ("dataset",)  # a fair race shares its data; the seed is shared through train.seed below


class ComparisonCreate(BaseModel):
    model_config = BODY
    name: str | None = Field(None, max_length=200)
    base: dict[str, Any] = Field(description="a RunConfig")
    variants: list[dict[str, Any]] = Field(min_length=1, max_length=16,
                                           description="partial RunConfigs laid over the base, one per member")
    seeds: list[Annotated[int, Field(ge=0, le=2**31 - 1)]] | None = Field(
        None, min_length=1, max_length=8, description="repeat the whole race once per seed (mean ± spread bands)")

    def plan(self, service: RunService) -> Launch:
        members = [self._member(i, variant, service) for i, variant in enumerate(self.variants)]
        configs = [explicit(plan) for plan in members]
        labels = differences([c.model_dump(mode="json") for c in configs])
        reason = batching_obstacle(members) if len(members) > 1 else "a single member"
        mode = "separate" if reason else "batched"
        runs, jobs = [], []
        for seed in self.seeds or [configs[0].train.seed]:
            # each seed is its own fair race: new data split, new initial weights, new batch order, shared by all
            suffix = f" · seed {seed}" if self.seeds else ""
            race = [NewRun(config.model_copy(update={
                        "name": f"{self.name or 'race'} · {label}{suffix}"[:200],
                        "train": config.train.model_copy(update={"seed": seed})}), plan.total_steps)
                    for config, label, plan in zip(configs, labels, members, strict=True)]
            if mode == "batched":
                jobs.append(RaceJob(member_ids=tuple(r.id for r in race),
                                    configs=tuple(r.config.model_dump(mode="json") for r in race)))
            else:
                jobs += one_job_each(race)
            runs += race
        record = db.ComparisonRow(
            id=new_id(), name=self.name, base=self.base, variants=self.variants, run_ids=[r.id for r in runs],
            labels=labels * len(self.seeds or [0]), mode=mode, reason=reason,
            created=dt.datetime.now(dt.UTC).replace(tzinfo=None))
        return Launch(runs, jobs, record)

    def _member(self, index: int, variant: dict[str, Any], service: RunService):
        train = variant.get("train")
        if any(k in variant for k in KEPT) or (isinstance(train, dict) and "seed" in train):
            msg = "a race shares its data set and seed across members; vary anything else"
            raise RequestValidationError([{"loc": ["body", "variants", index], "msg": msg, "type": "value_error"}])
        try:
            config = RunConfig.model_validate(overlay(self.base, variant))
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ["body", "variants", index, *e["loc"]]}
                                          for e in exc.errors(include_url=False)]) from None
        try:
            return check(config, service.settings)[0]
        except RequestValidationError as exc:
            raise RequestValidationError(relocate(exc.errors(), "variants", index)) from None


def overlay(base: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any]:
    """A member's config: sections named differently replace the base's; the same name merges params."""
    merged = copy.deepcopy(base)
    for key, value in variant.items():
        current = merged.get(key)
        same_component = (isinstance(current, dict) and isinstance(value, dict)
                          and value.get("name", current.get("name")) == current.get("name"))
        if same_component:
            ours, theirs = current.get("params"), value.get("params")
            both = isinstance(ours, dict) and isinstance(theirs, dict)
            # anything malformed is left as sent: RunConfig's validation names the field
            merged[key] = {**current, **value, **({"params": {**ours, **theirs}} if both else {})}
        else:
            merged[key] = copy.deepcopy(value)
    return merged
