"""The run service: the one way work gets in. Every request (app/work/) is checked, held to the limits,
stored and submitted here the same way; routes only translate HTTP to a request and the answer back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import shutil
import threading
from typing import TYPE_CHECKING

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError

from app.executor import Executor
from app.runs import RunManager
from app.settings import Settings
from app.work import Launch, Work
from engine import checkpoint, steering
from engine.lazy import lazy
from engine.optimizers import optimizers
from engine.status import TERMINAL, RunStatus
from engine.steering import SteerValues

if TYPE_CHECKING:
    from app.store import RunRow, Store

db = lazy("app.store")  # SQLAlchemy: loaded with the database, after the server first answers (app/backend.py)
log = logging.getLogger(__name__)


class RunService:
    def __init__(self, store: Store, manager: RunManager, executor: Executor, settings: Settings):
        self.store, self.manager, self.executor, self.settings = store, manager, executor, settings
        self._admitting = threading.Lock()  # two requests never both take the last places in the queue

    def submit(self, work: Work) -> Launch:
        """Check the work, admit its runs to the queue, store them (one transaction) and submit their jobs."""
        launch = work.plan(self)
        with self._admitting:
            self._admit(len(launch.runs) + launch.later)
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            # a microsecond apart: the runs list (newest first) shows a race's members in their order
            rows = [db.RunRow(id=run.id, name=run.config.name, status=RunStatus.QUEUED, progress=0.0,
                           config=run.config.model_dump(mode="json"), total_steps=run.total_steps, tags=run.tags,
                           created=now + dt.timedelta(microseconds=i))
                    for i, run in enumerate(launch.runs)]
            self.store.add_all([*rows, *([launch.record] if launch.record is not None else [])])
            self.manager.open(rows)
            for job in launch.jobs:
                self.executor.submit(dataclasses.replace(job, max_seconds=self.settings.max_run_seconds))
        return launch

    def _admit(self, runs: int) -> None:
        limit = self.settings.max_queued
        left = max(0, limit - self.executor.queued())
        if runs > left:
            raise HTTPException(429, f"this would queue {runs} run{'s' * (runs != 1)} and {left} of this server's "
                                     f"{limit} places are left; try again when some runs finish")

    def control(self, run: RunRow, action: str) -> None:
        if run.status in TERMINAL:
            raise HTTPException(409, f"run '{run.id}' is {run.status}; only queued, running or paused runs take "
                                     "controls")
        if not self.executor.control(run.id, action):
            raise HTTPException(409, f"run '{run.id}' has ended (no worker holds it); its end is being stored")

    def steer(self, run: RunRow, request: SteerValues) -> dict[str, float]:
        """Check the values against the run's optimizer (422 naming the field), then hand them to its job."""
        if run.status not in (RunStatus.RUNNING, RunStatus.PAUSED):
            raise HTTPException(409, f"run '{run.id}' is {run.status}; only a running or paused run can be steered")
        name, params = run.config["optimizer"]["name"], run.config["optimizer"].get("params", {})
        errors = steering.check([request], name, optimizers[name].params.model_validate(params), ("body",),
                                indexed=False)
        if errors:
            raise RequestValidationError(errors)
        values = {k: float(v) for k, v in request.values().items()}
        try:
            held = self.executor.steer(run.id, values)
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from None
        if not held:
            raise HTTPException(409, f"run '{run.id}' has ended (no worker holds it); its end is being stored")
        return values

    def delete(self, run: RunRow) -> None:
        """Delete it with its events and checkpoints, stopping it if it is active."""
        self.store.delete_run(run.id)  # first: a database that refuses leaves the run as it was (503)
        self.executor.control(run.id, "stop")
        self.manager.forget(run.id)
        shutil.rmtree(checkpoint.path_for(self.settings.checkpoint_root, run.id, 0).parent, ignore_errors=True)

