"""A loss landscape of a run's checkpoint, as a job with its own run row tagged with the parent.

Each landscape is a separate run named "landscape · <run name>" with the parent's config and the tags
"landscape" and "landscape-of:<parent id>": the parent's own stream closed when it finished, and a run of its
own gives the job a live SSE stream, a status, a stop button and a place in the runs list for free."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from fastapi import HTTPException
from pydantic import BaseModel, Field

from app.executor import LandscapeJob
from app.jobs import LANDSCAPE as TAG
from app.jobs import landscape_of
from app.validation import checkpoint_step
from app.work import Launch, NewRun
from engine.config import BODY, RunConfig
from engine.lab import PROGRESS_STEPS

if TYPE_CHECKING:
    from app.service import RunService
    from app.store import RunRow



class LandscapeRequest(BaseModel):
    model_config = BODY
    kind: Literal["interpolation", "random", "pca"] = Field(
        "random", description="1-D line from θ_init to θ_final, or a 2-D slice along random or PCA directions")
    n: int = Field(25, ge=3, le=101, description="points per axis (the 2-D grid is n×n)")
    span: float = Field(1.0, gt=0.0, le=100.0, description="half-width of the 2-D grid (random: in direction "
                        "units; pca: a multiple of the path's extent)")
    samples: int = Field(512, ge=8, le=100_000, description="training samples the loss is measured on")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="seed of the random directions")


@dataclass
class Landscape:
    parent: RunRow
    request: LandscapeRequest

    def plan(self, service: RunService) -> Launch:
        """A landscape of the parent's latest checkpoint; 409 if it has none (or, for pca, cannot be re-trained)."""
        run = self.parent
        step = checkpoint_step(service.settings, run.id, None)
        if self.request.kind == "pca" and run.config.get("start_from"):
            raise HTTPException(409, "pca re-trains the run from scratch; this run started from another run's "
                                     "checkpoint")
        config = RunConfig.model_validate({**run.config, "name": f"landscape · {run.name or run.id}"[:200]})
        job = NewRun(config, PROGRESS_STEPS, tags=[TAG, landscape_of(run.id)])
        return Launch([job], [LandscapeJob(run_id=job.id, config=run.config, parent=run.id, step=step,
                                           landscape=self.request.model_dump())])
