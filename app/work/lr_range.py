"""An LR range test: a run whose lr sweeps min_lr → max_lr, logging the loss at every step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError

from app.work import Launch
from app.work.run import Run
from engine.config import BODY, RunConfig
from engine.schedules.lr_range import LRRangeParams

if TYPE_CHECKING:
    from app.service import RunService


class LRRangeRequest(LRRangeParams):
    """The lr_range schedule's range (min_lr, max_lr), the config it is laid on and the length of the sweep."""

    model_config = BODY

    config: RunConfig
    steps: int = Field(200, ge=20, le=5000, description="optimizer steps of the sweep (one metrics point each)")

    def range_config(self) -> RunConfig:
        """The run a range test trains: the given config with the lr sweeping min_lr → max_lr, a point every step."""
        data = self.config.model_dump(mode="json", exclude_none=True)
        source = data.get("name") or " · ".join(data[k]["name"] for k in ("dataset", "model", "optimizer"))
        data["name"] = f"LR range test · {source}"[:200]
        data["optimizer"]["params"] = {**data["optimizer"].get("params", {}), "lr": self.max_lr}
        data["schedule"] = {"name": "lr_range", "params": self.model_dump(include=set(LRRangeParams.model_fields))}
        data["train"] = {**data.get("train", {}), "steps": self.steps, "eval_every": 1, "checkpoint_every": self.steps}
        for key in ("epochs", "early_stopping"):  # the sweep runs its full length
            data["train"].pop(key, None)
        data["probes"] = []  # only the loss is wanted, at every step
        if "start_from" in data:
            # sweep the weights the lr will be used on, as torch-lr-finder tests the model it is given: a continued
            # run's optimizer, schedule and step would replace the sweep's, so its weights are taken as a fine-tune
            start = data["start_from"]
            freeze = start.get("freeze", []) if start.get("mode", "finetune") == "finetune" else []
            data["start_from"] = {**start, "mode": "finetune", "freeze": freeze}
        try:
            return RunConfig.model_validate(data)
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ["body", "config", *e["loc"]]}
                                          for e in exc.errors(include_url=False)]) from None

    def plan(self, service: RunService) -> Launch:
        return Run(self.range_config(), at=("config",)).plan(service)
