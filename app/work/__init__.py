"""Every kind of work a person can ask for, as a typed request that the run service turns into runs and jobs.

One module per kind (a run, a continuation, an LR range test, a race, a sweep, a landscape): a request model
and `plan(service)`, which checks everything and says which runs to create and which executor jobs train
them. The service (app/service.py) does the rest the same way for all: the queue limit, the wall-time limit,
storing the runs in one transaction, opening their streams and submitting the jobs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from app.executor import Job, TrainJob
from engine.config import RunConfig

if TYPE_CHECKING:
    from app.service import RunService
    from app.store import ComparisonRow, SweepRow


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class RunCreated(BaseModel):
    id: str
    status: str
    total_steps: int
    parameters: int
    warnings: list[dict[str, str]] = []


@dataclass
class NewRun:
    """A run about to be created: its (explicit) config and what the answer to the request says of it."""

    config: RunConfig
    total_steps: int
    parameters: int = 0
    tags: list[str] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    id: str = field(default_factory=new_id)

    def created(self) -> RunCreated:
        """The answer to a request that made this one run."""
        return RunCreated(id=self.id, status="queued", total_steps=self.total_steps, parameters=self.parameters,
                          warnings=self.warnings)


@dataclass
class Launch:
    """What a request becomes: the runs, the jobs that train them, and the row that groups them (if any)."""

    runs: list[NewRun]
    jobs: list[Job]
    record: ComparisonRow | SweepRow | None = None
    later: int = 0  # runs it queues right after (a sweep's first trials, which its sweeper draws): held to the limit


class Work(Protocol):
    def plan(self, service: RunService) -> Launch:
        """Check the request (422 naming the field, 404/409 about the runs it refers to) and lay out its runs."""


def one_job_each(runs: list[NewRun]) -> list[Job]:
    """Runs that train separately: a train job per run."""
    return [TrainJob(run_id=run.id, config=run.config.model_dump(mode="json")) for run in runs]


def relocate(errors: list[dict[str, Any]], *prefix: Any) -> list[dict[str, Any]]:
    """Errors of a nested config (locs starting with "body") placed under `prefix` of the request body."""
    return [{**e, "loc": ["body", *prefix, *e["loc"][1:]]} for e in errors]
