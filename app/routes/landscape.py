"""Loss landscapes of a run: start one (app/work/landscape.py), read the latest, the page."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from app.deps import RunDep, ServiceDep, SettingsDep, StoreDep
from app.listing import RunFilter, public
from app.openapi import BUSY, CONFLICT
from app.templating import render
from app.work.landscape import TAG, Landscape, LandscapeRequest
from engine import checkpoint
from engine.status import RunStatus

if TYPE_CHECKING:
    from app.store import RunRow, Store

router = APIRouter(tags=["landscape"])


class LandscapeStarted(BaseModel):
    id: str  # the job's own run: follow /api/runs/{id}/events for progress
    parent: str
    step: int
    kind: str


def _children(store: Store, run: RunRow) -> list[RunRow]:
    """Landscape runs of `run`, newest first (a landscape run is its own only child)."""
    if TAG in (run.tags or []):
        return [run]
    return store.list_runs(RunFilter(tag=f"{TAG}-of:{run.id}"))


def _result(store: Store, row: RunRow) -> dict[str, Any] | None:
    for event in reversed(store.events_after(row.id, 0)):
        if event.kind == "probe":
            probe = json.loads(event.data)
            if probe.get("name") == "landscape":
                return {"id": row.id, "created": row.created.isoformat(), **probe["data"]}
    return None


@router.post("/api/runs/{run_id}/landscape", status_code=202, responses={**CONFLICT, **BUSY})
def start_landscape(run: RunDep, body: LandscapeRequest, service: ServiceDep) -> LandscapeStarted:
    """Queue a landscape of the run's latest checkpoint; 409 if it has none (or, for pca, cannot be re-trained)."""
    job = service.submit(Landscape(run, body)).jobs[0]
    return LandscapeStarted(id=job.run_id, parent=run.id, step=job.step, kind=body.kind)


@router.get("/api/runs/{run_id}/landscape")
def read_landscape(run: RunDep, store: StoreDep, kind: Literal["interpolation", "random", "pca"] | None = None):
    """The newest finished landscape of the run (of `kind` if given): 404 if there is none."""
    for row in _children(store, run):
        result = _result(store, row) if row.status == RunStatus.COMPLETED else None
        if result is not None and (kind is None or result["kind"] == kind):
            return result
    raise HTTPException(404, f"run '{run.id}' has no {kind or ''} landscape yet".replace("  ", " "))


@router.get("/api/runs/{run_id}/landscapes")
def latest_landscapes(run: RunDep, store: StoreDep) -> list[dict[str, Any]]:
    """The newest finished landscape of each kind, oldest first; [] when there is none (the page opens with these,
    asking nothing that is expected to fail)."""
    newest: dict[str, dict[str, Any]] = {}
    for row in _children(store, run):
        result = _result(store, row) if row.status == RunStatus.COMPLETED else None
        if result is not None:
            newest.setdefault(result["kind"], result)
    return sorted(newest.values(), key=lambda result: result["created"])


@router.get("/runs/{run_id}/landscape", response_class=HTMLResponse, include_in_schema=False)
def landscape_page(request: Request, run: RunDep, store: StoreDep, settings: SettingsDep):
    context = {"run": public(run), "checkpoints": checkpoint.steps_on_disk(settings.checkpoint_root, run.id),
               "jobs": [public(r) for r in _children(store, run)][:10]}
    return render(request, "landscape.html", context)
