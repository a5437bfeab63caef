"""The runs resource: create, list, read, rename and tag, control, delete (its stream: routes/streams.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app.deps import RunDep, ServiceDep, StoreDep
from app.executor import ACTIONS
from app.listing import RunFilter, public
from app.openapi import BUSY, CONFLICT
from app.work import RunCreated
from app.work.run import Run
from engine.config import BODY, RunConfig
from engine.steering import SteerValues

router = APIRouter(prefix="/api/runs", tags=["runs"])
LISTED = ("id", "name", "status", "progress", "created", "tags", "parent")


class RunEdit(BaseModel):
    model_config = BODY
    name: str | None = Field(None, max_length=200)
    tags: list[Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[\w .:+-]+$")]] | None = Field(
        None, max_length=20)


class ControlRequest(BaseModel):
    model_config = BODY
    action: Literal[ACTIONS]


class Page(BaseModel):
    limit: int = Field(500, ge=1, le=1000, description="most runs in the answer, newest first")
    offset: int = Field(0, ge=0, le=2**31 - 1, description="runs to skip: the next page starts at offset + limit")


@router.post("", status_code=201, responses=BUSY)
def create_run(config: RunConfig, service: ServiceDep) -> RunCreated:
    return service.submit(Run(config)).runs[0].created()


@router.get("")
def list_runs(store: StoreDep, where: Annotated[RunFilter, Query()], page: Annotated[Page, Query()]
              ) -> list[dict[str, Any]]:
    """Runs newest first, filtered, one page at a time."""
    rows = store.list_runs(where, page.limit, page.offset)
    return [{k: v for k, v in public(row).items() if k in LISTED} for row in rows]


@router.get("/{run_id}")
def get_run(run: RunDep) -> dict[str, Any]:
    return public(run)


@router.patch("/{run_id}")
def edit_run(run: RunDep, body: RunEdit, store: StoreDep) -> dict[str, Any]:
    """Rename or re-tag a run; fields left out stay as they are."""
    changes = body.model_dump(exclude_unset=True)
    if "tags" in changes:
        changes["tags"] = sorted(set(changes["tags"] or []))
    if changes:
        store.edit_run(run.id, **changes)
    return public(store.get_run(run.id))


@router.post("/{run_id}/control", responses=CONFLICT)
def control_run(run: RunDep, body: ControlRequest, service: ServiceDep) -> dict[str, str]:
    service.control(run, body.action)
    return {"id": run.id, "action": body.action}


@router.post("/{run_id}/steer", status_code=202, responses=CONFLICT)
def steer_run(run: RunDep, body: SteerValues, service: ServiceDep) -> dict[str, Any]:
    """Change lr, momentum, weight_decay or switch probes on a running or paused run, before its next step; the run
    records a `steer` event. 422 names a value its optimizer refuses; the run goes on as it was."""
    return {"id": run.id, "values": service.steer(run, body)}


@router.delete("/{run_id}", status_code=204)
def delete_run(run: RunDep, service: ServiceDep) -> Response:
    service.delete(run)
    return Response(status_code=204)
