"""An LR range test: a run whose lr sweeps min_lr → max_lr, logging the loss at every step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.work import Launch
from app.work.run import Run
from engine.config import RunConfig

if TYPE_CHECKING:
    from app.service import RunService


class LRRangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    config: RunConfig
    min_lr: float = Field(1e-6, gt=0.0, le=10.0, description="lr of the first step")
    max_lr: float = Field(1.0, gt=0.0, le=10.0, description="lr of the last step")
    steps: int = Field(200, ge=20, le=5000, description="optimizer steps of the sweep (one metrics point each)")

    @model_validator(mode="after")
    def _rising(self) -> LRRangeRequest:
        if self.min_lr >= self.max_lr:
            raise ValueError("min_lr must be below max_lr")
        return self

    def range_config(self) -> RunConfig:
        """The run a range test trains: the given config with the lr sweeping min_lr → max_lr, a point every step."""
        data = self.config.model_dump(mode="json", exclude_none=True)
        source = data.get("name") or " · ".join(data[k]["name"] for k in ("dataset", "model", "optimizer"))
        data["name"] = f"LR range test · {source}"[:200]
        data["optimizer"]["params"] = {**data["optimizer"].get("params", {}), "lr": self.max_lr}
        data["schedule"] = {"name": "lr_range", "params": {"min_lr": self.min_lr, "max_lr": self.max_lr}}
        data["train"] = {**data.get("train", {}), "steps": self.steps, "eval_every": 1, "checkpoint_every": self.steps}
        for key in ("epochs", "early_stopping"):  # the sweep runs its full length
            data["train"].pop(key, None)
        data["probes"] = []  # only the loss is wanted, at every step
        data.pop("start_from", None)
        try:
            return RunConfig.model_validate(data)
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ["body", "config", *e["loc"]]}
                                          for e in exc.errors(include_url=False)]) from None

    def plan(self, service: RunService) -> Launch:
        return Run(self.range_config(), at=("config",)).plan(service)
