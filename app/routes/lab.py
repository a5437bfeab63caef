"""The lab: optimizer paths on 2-D surfaces, gradient checks and the learning-rate range test (API and page)."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse

from app.deps import RunDep, ServiceDep, SettingsDep, StoreDep
from app.links import state_from_link
from app.openapi import BUSY, CONFLICT
from app.planner import planner
from app.templating import render
from app.validation import check
from app.work.lr_range import LRRangeRequest
from engine.config import ConfigError, RunConfig
from engine.lab import lr_range, paths, surfaces
from engine.optimizers import optimizers
from engine.status import TERMINAL

router = APIRouter(tags=["lab"])
MIN_RANGE_POINTS = 10
GRADCHECK_BUDGET_S = 20.0  # past this a big network's remaining tensors get one coordinate each


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None  # strict JSON has no inf (a loss that is not finite)


def _refuse(errors: list[dict[str, Any]], prefix: tuple = ()) -> RequestValidationError:
    return RequestValidationError([{**e, "loc": ["body", *prefix, *e["loc"]]} for e in errors])


@router.get("/api/lab/surfaces")
def list_surfaces() -> list[dict[str, Any]]:
    """Every test surface: formula, view box, default start, known minima, and the lrs of its default picture."""
    return [surfaces.describe(name) for name in surfaces.surfaces.names()]


@router.get("/api/lab/surfaces/{name}/grid")
def surface_grid(
    name: str, n: Annotated[int, Query(ge=10, le=300)] = 80,
    log_z: Annotated[bool | None, Query(description="log10(1 + f − min f); default: the surface's own choice")] = None,
) -> dict[str, Any]:
    """f on an n×n grid over the view box, for a contour plot: z[i][j] is f(x[j], y[i])."""
    if name not in surfaces.surfaces:
        raise HTTPException(404, f"no surface '{name}'; choose one of: {', '.join(surfaces.surfaces.names())}")
    return planner.call("engine.lab.surfaces:grid", name, n, log_z)


@router.post("/api/lab/paths")
def optimizer_paths(body: paths.PathRequest) -> list[dict[str, Any]]:
    """Each optimizer's path from the same start: [{name, params, path: [[x, y], ...], loss: [...], diverged}]."""
    try:
        paths.parse(body)
    except ConfigError as exc:
        raise _refuse(exc.errors) from None
    return [vars(result) for result in planner.call("engine.lab.paths:run_paths", body)]


@router.post("/api/lab/gradcheck")
def check_gradients(
    config: RunConfig, settings: SettingsDep,
    eps: Annotated[float, Query(gt=0.0, le=1e-2)] = 1e-6,
    samples_per_tensor: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    """Backprop against centred differences in float64 on a fixed batch, per parameter tensor:
    {"tensors": [{"name", "shape", "max_relative_error", "checked"}], "max_relative_error", "ok"}."""
    check(config, settings)  # 422 naming the field, and the server's model-size limit
    report = planner.call("engine.lab.gradcheck:gradient_check", config, eps, samples_per_tensor,
                          budget_s=GRADCHECK_BUDGET_S)
    report["tensors"] = [{**t, "max_relative_error": _finite(t["max_relative_error"])} for t in report["tensors"]]
    return {**report, "max_relative_error": _finite(report["max_relative_error"])}


@router.post("/api/lab/lr-range", status_code=201, responses=BUSY)
def start_lr_range(body: LRRangeRequest, service: ServiceDep) -> dict[str, Any]:
    """Start an LR range test as a normal run (it shows up under Runs); follow /api/runs/{run_id}/events and read
    GET /api/lab/lr-range/{run_id} as points arrive."""
    run = service.submit(body).runs[0]
    weights = _weights(run.config.model_dump()["start_from"])
    return {"run_id": run.id, "status": "queued", "total_steps": run.total_steps, "weights": weights}


@router.get("/api/lab/lr-range/{run_id}", responses=CONFLICT)
def read_lr_range(run: RunDep, store: StoreDep) -> dict[str, Any]:
    """Loss against lr so far and the suggestion (`ready`), or, until the run has logged enough points, `ready`
    false with the run's `status`, whether it is `complete` (ended: no reading will come) and a `detail`.
    409 only for a run that is not an LR range test. The lab page asks again at each of the run's streamed points."""
    if (run.config.get("schedule") or {}).get("name") != "lr_range":
        raise HTTPException(409, f"run '{run.id}' is not an LR range test (its schedule is not lr_range)")
    steps, lrs, loss = [], [], []
    for row in store.metrics(run.id):
        if row["step"] < 1 or row.get("lr") is None:
            continue  # step 0 is the untrained model, before any lr was used
        value = row.get("train_loss", row.get("batch_loss"))
        steps.append(row["step"])
        lrs.append(row["lr"])
        loss.append(math.nan if value is None else value)
    finite = sum(1 for v in loss if math.isfinite(v))
    if finite < MIN_RANGE_POINTS:
        # not yet a reading, and no error either: a page following the run asks again at its next point
        detail = f"run '{run.id}' is {run.status} with {finite} points; a reading needs {MIN_RANGE_POINTS}"
        return {"run_id": run.id, "ready": False, "detail": detail, "status": run.status,
                "complete": run.status in TERMINAL}
    reading = lr_range.suggest(lrs, loss)
    return {"run_id": run.id, "ready": True, "status": run.status, "complete": run.status in TERMINAL, "steps": steps,
            "lr": lrs, "loss": [_finite(v) for v in loss], "weights": _weights(run.config.get("start_from")), **reading}


def _weights(start: dict[str, Any] | None) -> str:
    """Which weights the sweep starts from, in words the page shows beside the reading."""
    if not start:
        return "a fresh initialization"
    frozen = f", {', '.join(start['freeze'])} frozen" if start.get("freeze") else ""
    return f"run {start['run']}'s checkpoint at step {start['step']}{frozen}"


@router.get("/lab", response_class=HTMLResponse, include_in_schema=False)
def lab_page(request: Request, config: str | None = None):
    state, problem = state_from_link(config)
    data = {
        "surfaces": list_surfaces(),
        "optimizers": [{"name": e.name, "description": e.description, "lr": e.params.model_fields["lr"].default}
                       for e in optimizers if "lr" in e.params.model_fields],
    }
    context = {"active": "lab", "data": data, "config_json": json.dumps(state, indent=2), "problem": problem,
               "autorun": bool(config) and problem is None}
    return render(request, "lab.html", context)
