"""A run: one RunConfig trained on its own (POST /api/runs); continuations and LR range tests are runs too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError

from app.validation import check, check_start
from app.work import Launch, NewRun, one_job_each, relocate
from engine.advice import advise
from engine.config import RunConfig, explicit

if TYPE_CHECKING:
    from app.service import RunService


@dataclass
class Run:
    config: RunConfig
    at: tuple[Any, ...] = ()  # where the config sits in the request body, for the locs of its errors

    def plan(self, service: RunService) -> Launch:
        try:
            plan, parameters = check(self.config, service.settings)
            config = check_start(explicit(plan), service.store, service.settings)
        except RequestValidationError as exc:
            raise RequestValidationError(relocate(exc.errors(), *self.at)) from None
        run = NewRun(config, plan.total_steps, parameters, warnings=advise(plan))
        return Launch([run], one_job_each([run]))
