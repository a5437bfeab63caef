"""The runs resource: create, list, read, rename and tag, control, delete (its stream: routes/streams.py)."""

from __future__ import annotations

import shutil
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from app.deps import ManagerDep, RunDep, SettingsDep, StoreDep
from app.store import TERMINAL, Store, public
from app.validation import RunCreated, check, check_start
from engine import checkpoint
from engine.advice import advise
from engine.config import RunConfig, explicit

router = APIRouter(prefix="/api/runs", tags=["runs"])


class RunEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200)
    tags: list[Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[\w .:+-]+$")]] | None = Field(
        None, max_length=20)


class RunFilter(BaseModel):
    """Narrow a list of runs; every field is optional and they combine with AND."""

    dataset: str | None = None
    network: str | None = None
    optimizer: str | None = None
    status: str | None = None
    tag: str | None = None

    def keep(self, run: dict[str, Any]) -> bool:
        config = run["config"]
        return all((
            not self.dataset or config["dataset"]["name"] == self.dataset,
            not self.network or config["model"]["name"] == self.network,
            not self.optimizer or config["optimizer"]["name"] == self.optimizer,
            not self.status or run["status"] == self.status,
            not self.tag or self.tag in run["tags"],
        ))


class ControlRequest(BaseModel):
    action: Literal["pause", "resume", "step", "stop"]


@router.post("", status_code=201)
def create_run(config: RunConfig, manager: ManagerDep, settings: SettingsDep) -> RunCreated:
    plan, parameters = check(config, settings)
    config = check_start(explicit(plan), manager.store, settings)
    if manager.executor.queued() >= settings.max_queued:
        raise HTTPException(429, f"{settings.max_queued} runs are already waiting; try again when some finish")
    row = manager.create(config, plan.total_steps)
    return RunCreated(id=row.id, status=row.status, total_steps=plan.total_steps, parameters=parameters,
                      warnings=advise(plan))


def filtered_runs(store: Store, where: RunFilter) -> list[dict[str, Any]]:
    return [run for run in map(public, store.list_runs()) if where.keep(run)]


@router.get("")
def list_runs(store: StoreDep, where: Annotated[RunFilter, Query()]) -> list[dict[str, Any]]:
    keys = ("id", "name", "status", "progress", "created", "tags", "parent")
    return [{k: v for k, v in run.items() if k in keys} for run in filtered_runs(store, where)]


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


@router.post("/{run_id}/control")
def control_run(run: RunDep, body: ControlRequest, manager: ManagerDep) -> dict[str, str]:
    if run.status in TERMINAL or not manager.control(run.id, body.action):
        raise HTTPException(409, f"run '{run.id}' is {run.status}; only queued, running or paused runs take controls")
    return {"id": run.id, "action": body.action}


@router.delete("/{run_id}", status_code=204)
def delete_run(run: RunDep, manager: ManagerDep, settings: SettingsDep) -> Response:
    manager.delete(run.id)
    shutil.rmtree(checkpoint.path_for(settings.checkpoint_root, run.id, 0).parent, ignore_errors=True)
    return Response(status_code=204)
