"""Helpers for the probe tests: run a small config through the trainer, or build a probe on a real data set.

A uniquely named module (not conftest.py), so `from probe_helpers import` is never ambiguous.
"""

from __future__ import annotations

from typing import Any

import torch

from engine import datasets, probes
from engine.config import RunConfig, resolve
from engine.events import Done, Metrics, Probe
from engine.losses import losses
from engine.probes.watch import build_all
from engine.trainer import build_model, train


def body(dataset: Any, model: Any, loss: str = "cross_entropy", steps: int = 40, **extra: Any) -> dict:
    """A RunConfig body; dataset and model may be a name or a {name, params} spec."""
    spec = lambda s: s if isinstance(s, dict) else {"name": s}  # noqa: E731
    train_settings = {"steps": steps, "batch_size": 32, "eval_every": 10, "eval_share": 1.0, "seed": 0,
                      **extra.pop("train", {})}
    return {"dataset": spec(dataset), "model": spec(model), "loss": {"name": loss},
            "optimizer": extra.pop("optimizer", {"name": "adam", "params": {"lr": 0.01}}),
            "train": train_settings, **extra}


def run(config: dict, save=None) -> tuple[list[Metrics], list[Probe], Done]:
    events: list = []
    done = train(RunConfig.model_validate(config), events.append, save=save)
    return ([e for e in events if isinstance(e, Metrics)], [e for e in events if isinstance(e, Probe)], done)


def setup(config: dict):
    """(model after one training step, ProbeContext, plan) for reading probes by hand."""
    plan = resolve(RunConfig.model_validate(config))
    torch.manual_seed(0)
    data = datasets.load(plan.names["dataset"], plan.params["dataset"], 0)
    objective = losses[plan.names["loss"]].build(plan.params["loss"], plan.info)
    model = build_model(plan, objective)
    objective.fn(model(data.x_train[:32]), objective.prepare(data.y_train[:32])).backward()
    ctx = probes.ProbeContext(data, objective, plan.total_steps, 10)
    return model, ctx, plan


def reader(config: dict, name: str, **params: Any):
    """(read function of probe `name`, model) built on `config`'s data set."""
    model, ctx, _ = setup(config)
    runners, _ = build_all([(name, probes.probes[name].params(**params))], ctx)
    return runners[0].read, model
