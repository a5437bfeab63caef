"""What can be said about a RunConfig before a worker sees it: every field checked, limits applied, 422s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from app.planner import planner
from app.settings import Settings
from engine import checkpoint
from engine.advice import advise
from engine.config import SECTIONS, ConfigError, Plan, RunConfig, resolve

if TYPE_CHECKING:
    from app.store import Store


class PlanPreview(BaseModel):
    total_steps: int
    parameters: int
    architecture: dict[str, Any]
    warnings: list[dict[str, str]]


def check(config: RunConfig, settings: Settings) -> tuple[Plan, int]:
    """Everything that can be said about a config before a worker sees it: 422 naming each field."""
    plan, facts = _survey(config, table=False)
    return plan, _within_limits(config, plan, facts["parameters"], settings)


def _survey(config: RunConfig, table: bool) -> tuple[Plan, dict[str, Any]]:
    """The torch-free checks here, then what only a built network tells (in the planner process)."""
    try:
        return resolve(config), planner.call("engine.architecture:survey", config, table)
    except ConfigError as exc:
        raise RequestValidationError([{**e, "loc": ["body", *e["loc"]]} for e in exc.errors]) from None


def _within_limits(config: RunConfig, plan: Plan, parameters: int, settings: Settings) -> int:
    errors = []
    if plan.total_steps > settings.max_steps:
        field = "steps" if config.train.steps else "epochs"
        errors.append({"loc": ["body", "train", field], "type": "limit",
                       "msg": f"{plan.total_steps} steps is over this server's limit of {settings.max_steps}"})
    if parameters > settings.max_parameters:
        errors.append({"loc": ["body", "model", "params"], "type": "limit",
                       "msg": f"the model has {parameters:,} parameters; "
                              f"this server allows {settings.max_parameters:,}"})
    if errors:
        raise RequestValidationError(errors)
    return parameters


# what a continued run must share with its parent: every component, not the length and the logging
CONTINUE_KEEPS = tuple(SECTIONS)


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


def preview(config: RunConfig, settings: Settings) -> PlanPreview:
    plan, facts = _survey(config, table=True)
    parameters = _within_limits(config, plan, facts["parameters"], settings)
    return PlanPreview(total_steps=plan.total_steps, parameters=parameters, architecture=facts["architecture"],
                       warnings=advise(plan))


def checkpoint_step(settings: Settings, run_id: str, step: int | None) -> int:
    """The checkpoint asked for (the latest when None): 409 if the run has none yet, 404 if not that one."""
    steps = checkpoint.steps_on_disk(settings.checkpoint_root, run_id)
    if not steps:
        raise HTTPException(409, f"run '{run_id}' has no checkpoint yet")
    if step is None:
        return steps[-1]
    if step not in steps:
        raise HTTPException(404, f"run '{run_id}' has no checkpoint at step {step}; it has {steps}")
    return step
