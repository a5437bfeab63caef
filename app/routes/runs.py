"""The runs resource: create, list, read, stream events, export metrics, control, delete."""

from __future__ import annotations

import csv
import io
import json
import shutil
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.sse import EventSourceResponse
from pydantic import BaseModel, ConfigDict, Field

from app.history import DEFAULT_POINTS, thin
from app.deps import ManagerDep, RunDep, SettingsDep, StoreDep
from app.settings import Settings
from app.store import TERMINAL, Store, public
from app.stream import StreamEvent
from engine import checkpoint
from engine.advice import advise
from engine.architecture import count_parameters, layer_table
from engine.config import ConfigError, Plan, RunConfig, explicit, resolve

router = APIRouter(prefix="/api/runs", tags=["runs"])


class RunCreated(BaseModel):
    id: str
    status: str
    total_steps: int
    parameters: int
    warnings: list[dict[str, str]] = []


class PlanPreview(BaseModel):
    total_steps: int
    parameters: int
    architecture: dict[str, Any]
    warnings: list[dict[str, str]]


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


def check(config: RunConfig, settings: Settings) -> tuple[Plan, int]:
    """Everything that can be said about a config before a worker sees it: 422 naming each field."""
    try:
        plan = resolve(config)
    except ConfigError as exc:
        raise RequestValidationError([{**e, "loc": ["body", *e["loc"]]} for e in exc.errors]) from None
    errors = []
    if plan.total_steps > settings.max_steps:
        field = "steps" if config.train.steps else "epochs"
        errors.append({"loc": ["body", "train", field], "type": "limit",
                       "msg": f"{plan.total_steps} steps is over this server's limit of {settings.max_steps}"})
    parameters = count_parameters(plan)
    if parameters > settings.max_parameters:
        errors.append({"loc": ["body", "model", "params"], "type": "limit",
                       "msg": f"the model has {parameters:,} parameters; this server allows {settings.max_parameters:,}"})
    if errors:
        raise RequestValidationError(errors)
    return plan, parameters


# what a continued run must share with its parent: all but the length and the logging
CONTINUE_KEEPS = ("dataset", "model", "loss", "optimizer", "schedule", "init", "regularization")


def check_start(config: RunConfig, store: Store, settings: Settings) -> RunConfig:
    """Resolve start_from to a checkpoint that exists; a continued run must match its parent."""
    start = config.start_from
    if start is None:
        return config

    def refuse(field: str, msg: str):
        raise RequestValidationError([{"loc": ["body", "start_from", field], "msg": msg, "type": "value_error"}])

    parent = store.get_run(start.run)
    if parent is None:
        refuse("run", f"no run with id '{start.run}'")
    steps = checkpoint.steps_on_disk(settings.checkpoint_root, start.run)
    if not steps:
        refuse("run", f"run '{start.run}' has no checkpoint")
    if start.step is not None and start.step not in steps:
        refuse("step", f"no checkpoint at step {start.step}; run '{start.run}' has {steps}")
    step = steps[-1] if start.step is None else start.step
    if start.mode == "continue":
        ours, theirs = config.model_dump(mode="json"), parent.config
        changed = [k for k in CONTINUE_KEEPS if ours.get(k) != theirs.get(k)]
        changed += [f"train.{k}" for k in ("batch_size", "seed") if ours["train"][k] != theirs["train"][k]]
        if changed:
            refuse("mode", f"continue keeps the parent's settings, but {', '.join(changed)} differ; use finetune")
    return config.model_copy(update={"start_from": start.model_copy(update={"step": step})})


@router.post("", status_code=201)
def create_run(config: RunConfig, manager: ManagerDep, settings: SettingsDep) -> RunCreated:
    plan, parameters = check(config, settings)
    config = check_start(explicit(plan), manager.store, settings)
    if manager.executor.queued() >= settings.max_queued:
        raise HTTPException(429, f"{settings.max_queued} runs are already waiting; try again when some finish")
    row = manager.create(config, plan.total_steps)
    return RunCreated(id=row.id, status=row.status, total_steps=plan.total_steps, parameters=parameters,
                      warnings=advise(plan))


def preview(config: RunConfig, settings: Settings) -> PlanPreview:
    plan, parameters = check(config, settings)
    return PlanPreview(total_steps=plan.total_steps, parameters=parameters, architecture=layer_table(plan),
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


def _subscriber_slot(run: RunDep, manager: ManagerDep, settings: SettingsDep) -> None:
    if manager.hub.subscribers[run.id] >= settings.max_subscribers:
        raise HTTPException(429, f"run '{run.id}' already has {settings.max_subscribers} watchers, this server's limit")


@router.patch("/{run_id}")
def edit_run(run: RunDep, body: RunEdit, store: StoreDep) -> dict[str, Any]:
    """Rename or re-tag a run; fields left out stay as they are."""
    changes = body.model_dump(exclude_unset=True)
    if "tags" in changes:
        changes["tags"] = sorted(set(changes["tags"] or []))
    if changes:
        store.edit_run(run.id, **changes)
    return public(store.get_run(run.id))


@router.get(
    "/{run_id}/events", response_model=None, dependencies=[Depends(_subscriber_slot)],
    responses={200: {"content": {"text/event-stream": {}}, "description": "metrics, probe, status and done events"}},
)
async def run_events(
    run: RunDep,
    manager: ManagerDep,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
    after: Annotated[int | None, Query(ge=0, description="replay from this event id (same as Last-Event-ID)")] = None,
) -> EventSourceResponse:
    """Every event of the run after Last-Event-ID (or `after`), then live ones until `done`."""
    store = manager.store

    async def stored(since: int) -> list[StreamEvent]:
        rows = await run_in_threadpool(store.events_after, run.id, since)
        return [StreamEvent(r.seq, r.kind, r.data) for r in rows]

    async def body():
        # note: events are pre-encoded once in the hub; a batch goes out as one write per subscriber
        async for batch in manager.hub.follow(run.id, last_event_id or after or 0, stored):
            yield b"".join(event.wire for event in batch) if batch else b": keep-alive\n\n"

    return EventSourceResponse(body(), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/{run_id}/metrics", response_model=None)
def run_metrics(run: RunDep, store: StoreDep, format: Literal["json", "csv"] = "json") -> Response | dict:
    rows = store.metrics(run.id)
    if format == "json":
        return {"id": run.id, "metrics": rows}
    columns = ["step", "epoch", "time"] + sorted({k for r in rows for k in r} - {"step", "epoch", "time"})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    headers = {"Content-Disposition": f'attachment; filename="run-{run.id}-metrics.csv"'}
    return Response(buffer.getvalue(), media_type="text/csv", headers=headers)


@router.get("/{run_id}/history")
async def run_history(
    run: RunDep, manager: ManagerDep, max_points: Annotated[int, Query(ge=10, le=1_000_000)] = DEFAULT_POINTS
) -> dict[str, Any]:
    """What a chart needs to open a run: metrics downsampled per series (extremes and last point kept),
    the latest reading of each probe, and the event id to follow the live stream from."""
    stored = await run_in_threadpool(manager.store.get_history, run.id) if run.status in TERMINAL else None
    if stored is not None and max_points <= DEFAULT_POINTS:
        # kept when the run ended: opening it parses nothing
        view = stored if max_points == DEFAULT_POINTS else thin(stored, max_points)
        return {"id": run.id, **view}
    view = await run_in_threadpool(manager.history_view, run.id, max_points)
    return {"id": run.id, **view}


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
