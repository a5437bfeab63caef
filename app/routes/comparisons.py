"""The race: POST /api/comparisons trains several variants of one RunConfig fairly; GET shows the standings."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.compare import differences
from app.deps import ManagerDep, SettingsDep, StoreDep
from app.store import ComparisonRow, public
from app.validation import check
from engine.config import RunConfig, explicit
from engine.race import batching_obstacle

router = APIRouter(prefix="/api/comparisons", tags=["comparisons"])
KEPT = ("dataset",)  # a fair race shares its data; the seed is shared through train.seed below


class ComparisonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200)
    base: dict[str, Any] = Field(description="a RunConfig")
    variants: list[dict[str, Any]] = Field(min_length=1, max_length=16,
                                           description="partial RunConfigs laid over the base, one per member")
    seeds: list[Annotated[int, Field(ge=0, le=2**31 - 1)]] | None = Field(
        None, min_length=1, max_length=8, description="repeat the whole race once per seed (mean ± spread bands)")


class ComparisonCreated(BaseModel):
    id: str
    run_ids: list[str]
    mode: str
    reason: str | None


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


def _fail(loc: list, msg: str) -> None:
    raise RequestValidationError([{"loc": ["body", *loc], "msg": msg, "type": "value_error"}])


@router.post("", status_code=201)
def create_comparison(body: ComparisonCreate, manager: ManagerDep, settings: SettingsDep) -> ComparisonCreated:
    members = []
    for i, variant in enumerate(body.variants):
        train = variant.get("train")
        if any(k in variant for k in KEPT) or (isinstance(train, dict) and "seed" in train):
            _fail(["variants", i], "a race shares its data set and seed across members; vary anything else")
        try:
            config = RunConfig.model_validate(overlay(body.base, variant))
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ["body", "variants", i, *e["loc"]]}
                                          for e in exc.errors(include_url=False)]) from None
        try:
            plan, _ = check(config, settings)
        except RequestValidationError as exc:
            raise RequestValidationError([{**e, "loc": ["body", "variants", i, *e["loc"][1:]]}
                                          for e in exc.errors()]) from None
        members.append(plan)
    seeds = body.seeds or [members[0].config.train.seed]
    configs = [explicit(plan) for plan in members]
    labels = differences([c.model_dump(mode="json") for c in configs])
    reason = batching_obstacle(members) if len(members) > 1 else "a single member"
    mode = "separate" if reason else "batched"
    rows, member_labels = [], []
    for seed in seeds:
        # each seed is its own fair race: new data split, new initial weights, new batch order, shared by all
        seeded = [c.model_copy(update={"train": c.train.model_copy(update={"seed": seed})}) for c in configs]
        race_rows = []
        for config, label, plan in zip(seeded, labels, members, strict=True):
            suffix = f" · seed {seed}" if body.seeds else ""
            named = config.model_copy(update={"name": f"{body.name or 'race'} · {label}{suffix}"[:200]})
            race_rows.append(manager.create(named, plan.total_steps, submit=mode == "separate"))
            member_labels.append(label)
        if mode == "batched":
            manager.executor.submit_race([r.id for r in race_rows], [r.config for r in race_rows])
        rows += race_rows
    labels = member_labels
    comparison = ComparisonRow(
        id=uuid.uuid4().hex[:12], name=body.name, base=body.base, variants=body.variants, run_ids=[r.id for r in rows],
        labels=labels, mode=mode, reason=reason, created=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )
    manager.store.add_comparison(comparison)
    return ComparisonCreated(id=comparison.id, run_ids=comparison.run_ids, mode=mode, reason=reason)


def standings(comparison: ComparisonRow, store) -> dict[str, Any]:
    members = []
    for run_id, label in zip(comparison.run_ids, comparison.labels, strict=True):
        row = store.get_run(run_id)
        if row is not None:
            run = public(row)
            keys = ("status", "progress", "summary", "error", "name", "config")
            members.append({"id": run_id, "label": label, **{k: run[k] for k in keys}})
    return {"id": comparison.id, "name": comparison.name, "mode": comparison.mode, "reason": comparison.reason,
            "created": comparison.created.isoformat() + "Z", "members": members}


@router.get("/{comparison_id}")
def get_comparison(comparison_id: str, store: StoreDep) -> dict[str, Any]:
    comparison = store.get_comparison(comparison_id)
    if comparison is None:
        raise HTTPException(404, f"no comparison with id '{comparison_id}'")
    return standings(comparison, store)
