"""A run's checkpoints and exports: list, weights, config, standalone script, and "continue training"."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Response

from app.deps import RunDep, ServiceDep, SettingsDep, StoreDep
from app.openapi import BUSY, CONFLICT
from app.planner import planner
from app.validation import checkpoint_step
from app.work import RunCreated
from app.work.continuation import Continuation, ContinueRequest
from engine import checkpoint
from engine.config import RunConfig
from engine.export_errors import ExportError
from engine.steering import with_recorded

router = APIRouter(prefix="/api/runs", tags=["checkpoints and exports"])


def _download(body: bytes | str, filename: str, media_type: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/{run_id}/checkpoints")
def list_checkpoints(run: RunDep, settings: SettingsDep) -> list[dict[str, Any]]:
    root = settings.checkpoint_root
    return [{"step": s, "bytes": checkpoint.path_for(root, run.id, s).stat().st_size}
            for s in checkpoint.steps_on_disk(root, run.id)]


@router.get("/{run_id}/weights", response_class=Response, responses={
    200: {"content": {"application/octet-stream": {}}, "description": "a torch.save file"}, **CONFLICT})
def download_weights(run: RunDep, settings: SettingsDep, step: int | None = None) -> Response:
    """The model's state_dict (load with torch.load(..., weights_only=True))."""
    step = checkpoint_step(settings, run.id, step)
    weights = planner.call("engine.export:weights_file", settings.checkpoint_root, run.id, step)
    return _download(weights, f"run-{run.id}-step-{step}.pt", "application/octet-stream")


@router.get("/{run_id}/config", response_class=Response, responses={
    200: {"content": {"application/json": {}}, "description": "the run's full config, as a file"}})
def download_config(run: RunDep) -> Response:
    return _download(json.dumps(run.config, indent=2), f"run-{run.id}-config.json", "application/json")


@router.get("/{run_id}/script", response_class=Response, responses={
    200: {"content": {"text/x-python": {}}, "description": "a Python script"}, **CONFLICT})
def download_script(run: RunDep, store: StoreDep) -> Response:
    """A standalone PyTorch script (torch + the standard library) that reproduces this run, its steers included."""
    try:
        config = RunConfig.model_validate(with_recorded(run.config, store.steers(run.id)))
        script = planner.call("engine.export:standalone_script", config)
    except ExportError as exc:
        raise HTTPException(409, str(exc)) from None
    return _download(script, f"descent-run-{run.id}.py", "text/x-python")


@router.post("/{run_id}/continue", status_code=201, responses={**CONFLICT, **BUSY})
def continue_run(run: RunDep, body: ContinueRequest, service: ServiceDep) -> RunCreated:
    """A linked run that picks up exactly where a checkpoint of this one left off."""
    return service.submit(Continuation(run, body)).runs[0].created()
