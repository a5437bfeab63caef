"""A run's checkpoints and exports: list, weights, config, standalone script, and "continue training"."""

from __future__ import annotations

import io
import json
from typing import Any

import torch
from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field

from app.deps import ManagerDep, RunDep, SettingsDep
from app.routes.runs import create_run
from app.validation import RunCreated
from engine import checkpoint
from engine.config import RunConfig
from engine.export import ExportError, standalone_script

router = APIRouter(prefix="/api/runs", tags=["checkpoints and exports"])


class ContinueRequest(BaseModel):
    steps: int | None = Field(None, ge=1, description="the new run's total steps; default: the parent's")
    step: int | None = Field(None, ge=0, description="checkpoint to start from; default: the latest")


def _download(body: bytes | str, filename: str, media_type: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/{run_id}/checkpoints")
def list_checkpoints(run: RunDep, settings: SettingsDep) -> list[dict[str, Any]]:
    root = settings.checkpoint_root
    return [{"step": s, "bytes": checkpoint.path_for(root, run.id, s).stat().st_size}
            for s in checkpoint.steps_on_disk(root, run.id)]


def latest_step(settings, run_id: str, step: int | None) -> int:
    steps = checkpoint.steps_on_disk(settings.checkpoint_root, run_id)
    if not steps:
        raise HTTPException(409, f"run '{run_id}' has no checkpoint yet")
    if step is None:
        return steps[-1]
    if step not in steps:
        raise HTTPException(404, f"run '{run_id}' has no checkpoint at step {step}; it has {steps}")
    return step


@router.get("/{run_id}/weights")
def download_weights(run: RunDep, settings: SettingsDep, step: int | None = None) -> Response:
    """The model's state_dict (load with torch.load(..., weights_only=True))."""
    step = latest_step(settings, run.id, step)
    buffer = io.BytesIO()
    torch.save(checkpoint.read(settings.checkpoint_root, run.id, step)["model"], buffer)
    return _download(buffer.getvalue(), f"run-{run.id}-step-{step}.pt", "application/octet-stream")


@router.get("/{run_id}/config")
def download_config(run: RunDep) -> Response:
    return _download(json.dumps(run.config, indent=2), f"run-{run.id}-config.json", "application/json")


@router.get("/{run_id}/script")
def download_script(run: RunDep) -> Response:
    """A standalone PyTorch script (torch + the standard library) that reproduces this run."""
    try:
        script = standalone_script(RunConfig.model_validate(run.config))
    except ExportError as exc:
        raise HTTPException(409, str(exc)) from None
    return _download(script, f"descent-run-{run.id}.py", "text/x-python")


@router.post("/{run_id}/continue", status_code=201)
def continue_run(run: RunDep, body: ContinueRequest, manager: ManagerDep, settings: SettingsDep) -> RunCreated:
    """A linked run that picks up exactly where a checkpoint of this one left off."""
    step = latest_step(settings, run.id, body.step)
    total = body.steps or run.total_steps or 0
    if total <= step:
        raise HTTPException(409, f"the new run must go past the checkpoint at step {step}; ask for more steps")
    child = {
        **run.config, "name": f"{run.name or run.id} (continued from step {step})"[:200],
        "train": {**run.config["train"], "steps": total, "epochs": None},
        "start_from": {"run": run.id, "step": step, "mode": "continue", "freeze": []},
    }
    return create_run(RunConfig.model_validate(child), manager, settings)

