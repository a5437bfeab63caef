"""A continuation: a linked run that picks up exactly where a checkpoint of another run left off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from fastapi import HTTPException
from pydantic import BaseModel, Field

from app.validation import checkpoint_step
from app.work import Launch
from app.work.run import Run
from engine.config import BODY, RunConfig
from engine.steering import with_recorded

if TYPE_CHECKING:
    from app.service import RunService
    from app.store import RunRow


class ContinueRequest(BaseModel):
    model_config = BODY
    steps: int | None = Field(None, ge=1, description="the new run's total steps; default: the parent's")
    step: int | None = Field(None, ge=0, description="checkpoint to start from; default: the latest")
    schedule: Literal["extend", "restart"] = Field(
        "extend", description="the lr schedule: 'extend' lays it over all the new run's steps (as if planned that "
        "long), 'restart' begins it again at the checkpoint over the steps added")


@dataclass
class Continuation:
    parent: RunRow
    request: ContinueRequest

    def plan(self, service: RunService) -> Launch:
        run, body = self.parent, self.request
        step = checkpoint_step(service.settings, run.id, body.step)
        total = body.steps or run.total_steps or 0
        if total <= step:
            raise HTTPException(409, f"the new run must go past the checkpoint at step {step}; ask for more steps")
        # the parent's steers ride along: those before the checkpoint are in its optimizer state, the rest replay
        parent = with_recorded(run.config, service.store.steers(run.id))
        child = {
            **parent, "name": f"{run.name or run.id} (continued from step {step})"[:200],
            "train": {**parent["train"], "steps": total, "epochs": None},
            "start_from": {"run": run.id, "step": step, "mode": "continue", "freeze": [], "schedule": body.schedule},
        }
        return Run(RunConfig.model_validate(child)).plan(service)
