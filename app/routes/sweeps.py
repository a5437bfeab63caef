"""Random search: POST /api/sweeps samples trials over a base config, each a separate run; GET ranks them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.deps import ManagerDep, SettingsDep, StoreDep
from app.routes.pages import encode_config, state_from_link
from app.routes.runs import check
from app.settings import Settings
from app.store import ACTIVE, SweepRow, public
from app.sweeps import Dimension, Metric, PathError, apply, axes, check_path, rank, sample, score
from app.templating import render
from engine.config import SECTIONS, Plan, RunConfig, explicit

router = APIRouter(tags=["sweeps"])
MAX_TRIALS = 64


class SweepCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200)
    base: dict[str, Any] = Field(description="a RunConfig; every trial starts from it")
    space: dict[str, Dimension] = Field(min_length=1, max_length=16,
                                        description="dotted setting path (optimizer.params.lr) -> distribution")
    trials: int = Field(8, ge=1, le=MAX_TRIALS)
    seed: int = Field(0, ge=0, le=2**31 - 1, description="seeds the sampling; train.seed stays the base's")
    metric: Metric = Field("val_loss", description="val_loss is minimized, val_acc maximized")


class SweepCreated(BaseModel):
    id: str
    run_ids: list[str]


def _accepts(section: str, name: Any) -> set[str]:
    registry = SECTIONS.get(section)
    return set(registry[name].params.model_fields) if registry and isinstance(name, str) and name in registry else set()


def _validate(config: dict[str, Any], settings: Settings) -> tuple[Plan | None, list[dict[str, Any]]]:
    """check() of POST /api/runs, errors returned (locs without "body") instead of raised."""
    try:
        return check(RunConfig.model_validate(config), settings)[0], []
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


@router.post("/api/sweeps", status_code=201)
def create_sweep(body: SweepCreate, manager: ManagerDep, settings: SettingsDep) -> SweepCreated:
    plan, errors = _validate(body.base, settings)
    if plan is None:
        raise RequestValidationError([{**e, "loc": ["body", "base", *e["loc"]]} for e in errors])
    base = explicit(plan).model_dump(mode="json")
    swept = {p.split(".")[0] for p in body.space if p.split(".")[1:] == ["name"]}
    bad = []
    for path in body.space:
        try:
            check_path(base, path, swept)
        except PathError as exc:
            bad.append({"loc": ["body", "space", path], "msg": str(exc), "type": "value_error"})
    if bad:
        raise RequestValidationError(bad)

    drawn = sample(body.space, body.trials, body.seed)
    plans, problems = [], []
    for i, values in enumerate(drawn):
        trial, errors = _validate(apply(base, body.base, values, _accepts), settings)
        plans.append(trial)
        problems += [_blame(e, i, values) for e in errors]
    if problems:
        raise RequestValidationError(problems[:50])

    rows = []
    for i, trial in enumerate(plans):
        config = explicit(trial).model_copy(update={"name": f"{body.name or 'sweep'} · trial {i}"[:200]})
        rows.append(manager.create(config, trial.total_steps))  # each queues on the worker pool
    sweep = SweepRow(
        id=uuid.uuid4().hex[:12], name=body.name, base=body.base,
        space={p: d.model_dump(exclude_none=True) for p, d in body.space.items()},
        trials=[{"run_id": r.id, "values": v} for r, v in zip(rows, drawn, strict=True)],
        metric=body.metric, seed=body.seed,
        created=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )
    manager.store.add_sweep(sweep)
    return SweepCreated(id=sweep.id, run_ids=[r.id for r in rows])


def results(sweep: SweepRow, store) -> dict[str, Any]:
    """The trials ranked best first, with their drawn values, status and metric, and the best config."""
    trials = []
    for index, trial in enumerate(sweep.trials):
        row = store.get_run(trial["run_id"])
        run = public(row) if row is not None else {"status": "deleted", "progress": 0, "summary": None, "error": None}
        final, best, value = score(run["summary"], sweep.metric)
        trials.append({"index": index, "run_id": trial["run_id"], "values": trial["values"], "status": run["status"],
                       "progress": run["progress"], "final": final, "best": best, "score": value,
                       "error": run["error"], "config": run.get("config")})
    trials = rank(trials, sweep.metric)
    top = trials[0] if trials and trials[0]["score"] is not None else None
    return {
        "id": sweep.id, "name": sweep.name, "metric": sweep.metric, "seed": sweep.seed, "space": sweep.space,
        "created": sweep.created.isoformat() + "Z", "active": any(t["status"] in ACTIVE for t in trials),
        "trials": [{k: v for k, v in t.items() if k != "config"} for t in trials],
        "best": top and {"index": top["index"], "run_id": top["run_id"], "values": top["values"],
                         "score": top["score"], "config": top["config"]},
    }


def _sweep(store, sweep_id: str) -> SweepRow:
    sweep = store.get_sweep(sweep_id)
    if sweep is None:
        raise HTTPException(404, f"no sweep with id '{sweep_id}'")
    return sweep


@router.get("/api/sweeps/{sweep_id}")
def get_sweep(sweep_id: str, store: StoreDep) -> dict[str, Any]:
    return results(_sweep(store, sweep_id), store)


# what the new-sweep form starts with: the notes' first knob, the learning rate, over three decades
DEFAULT_SPACE = [  # (path, kind, values, and the hints an empty row shows)
    ("optimizer.params.lr", "log_uniform", "1e-4, 1e-1", "", ""),
    ("", "uniform", "", "optimizer.params.betas.0", "0.8, 0.99"),
    ("", "choice", "", "train.batch_size", "16, 32, 64"),
    ("", "choice", "", "schedule.name", "constant, cosine"),
]


@router.get("/sweeps/new", response_class=HTMLResponse, include_in_schema=False)
def new_sweep_page(request: Request, config: str | None = None):
    base, problem = state_from_link(config)
    return render(request, "sweep.html", {"base": base, "problem": problem, "rows": DEFAULT_SPACE,
                                          "builder": encode_config(base), "sweep": None})


@router.get("/sweeps/{sweep_id}", response_class=HTMLResponse, include_in_schema=False)
def sweep_page(request: Request, sweep_id: str, store: StoreDep, fragment: str | None = None):
    sweep = _sweep(store, sweep_id)
    data = results(sweep, store)
    space = {p: Dimension.model_validate(d) for p, d in sweep.space.items()}
    context = {"sweep": data, "paths": list(space), "axes": axes(space, data["trials"], sweep.metric),
               "best_link": encode_config(data["best"]["config"]) if data["best"] else None}
    return render(request, "sweep.html", context, block="results" if fragment == "results" else None)
