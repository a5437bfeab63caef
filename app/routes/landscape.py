"""Loss landscapes of a run: start one as a job (its own run row, tagged with the parent), read the latest, the page.

Each landscape is a separate run named "landscape · <run name>" with the parent's config and the tags
"landscape" and "landscape-of:<parent id>": the parent's own stream closed when it finished, and a run of its
own gives the job a live SSE stream, a status, a stop button and a place in the runs list for free."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from app.deps import ManagerDep, PoolDep, RunDep, SettingsDep, StoreDep
from app.routes.checkpoints import latest_step
from app.store import RunRow, Store, public
from app.templating import render
from engine import checkpoint
from engine.config import RunConfig
from engine.lab.landscape import PROGRESS_STEPS

router = APIRouter(tags=["landscape"])
TAG = "landscape"


class LandscapeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["interpolation", "random", "pca"] = Field(
        "random", description="1-D line from θ_init to θ_final, or a 2-D slice along random or PCA directions")
    n: int = Field(25, ge=3, le=101, description="points per axis (the 2-D grid is n×n)")
    span: float = Field(1.0, gt=0.0, le=100.0, description="half-width of the 2-D grid (random: in direction "
                        "units; pca: a multiple of the path's extent)")
    samples: int = Field(512, ge=8, le=100_000, description="training samples the loss is measured on")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="seed of the random directions")


class LandscapeStarted(BaseModel):
    id: str  # the job's own run: follow /api/runs/{id}/events for progress
    parent: str
    step: int
    kind: str


def _children(store: Store, run: RunRow) -> list[RunRow]:
    """Landscape runs of `run`, newest first (a landscape run is its own only child)."""
    if TAG in (run.tags or []):
        return [run]
    return [r for r in store.list_runs() if f"{TAG}-of:{run.id}" in (r.tags or [])]


def _result(store: Store, row: RunRow) -> dict[str, Any] | None:
    for event in reversed(store.events_after(row.id, 0)):
        if event.kind == "probe":
            probe = json.loads(event.data)
            if probe.get("name") == "landscape":
                return {"id": row.id, "created": row.created.isoformat(), **probe["data"]}
    return None


@router.post("/api/runs/{run_id}/landscape", status_code=202)
def start_landscape(
    run: RunDep, body: LandscapeRequest, manager: ManagerDep, pool: PoolDep, settings: SettingsDep
) -> LandscapeStarted:
    """Queue a landscape of the run's latest checkpoint; 409 if it has none (or, for pca, cannot be re-trained)."""
    step = latest_step(settings, run.id, None)
    if body.kind == "pca" and run.config.get("start_from"):
        raise HTTPException(409, "pca re-trains the run from scratch; this run started from another run's checkpoint")
    if manager.executor.queued() >= settings.max_queued:
        raise HTTPException(429, f"{settings.max_queued} runs are already waiting; try again when some finish")
    config = RunConfig.model_validate({**run.config, "name": f"landscape · {run.name or run.id}"[:200]})
    row = manager.create(config, PROGRESS_STEPS, submit=False)
    manager.store.edit_run(row.id, tags=[TAG, f"{TAG}-of:{run.id}"])
    job = {"config": run.config, "parent": run.id, "step": step, "landscape": body.model_dump()}
    pool.submit_landscape(row.id, job)
    return LandscapeStarted(id=row.id, parent=run.id, step=step, kind=body.kind)


@router.get("/api/runs/{run_id}/landscape")
def read_landscape(run: RunDep, store: StoreDep, kind: Literal["interpolation", "random", "pca"] | None = None):
    """The newest finished landscape of the run (of `kind` if given): 404 if there is none."""
    for row in _children(store, run):
        result = _result(store, row) if row.status == "completed" else None
        if result is not None and (kind is None or result["kind"] == kind):
            return result
    raise HTTPException(404, f"run '{run.id}' has no {kind or ''} landscape yet".replace("  ", " "))


@router.get("/runs/{run_id}/landscape", response_class=HTMLResponse, include_in_schema=False)
def landscape_page(request: Request, run: RunDep, store: StoreDep, settings: SettingsDep):
    context = {"run": public(run), "checkpoints": checkpoint.steps_on_disk(settings.checkpoint_root, run.id),
               "jobs": [public(r) for r in _children(store, run)][:10]}
    return render(request, "landscape.html", context)
