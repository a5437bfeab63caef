"""Losses: each entry turns a data set's info into an Objective (loss fn, head size, targets, predictions)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.registry import Params, Registry


class LossRegistry(Registry):
    """Every loss also serves data labelled at each time step: add() wraps the entry's build so that such data
    gets `per_step(objective)` and the loss files stay written for one label per sample."""

    def add(self, name: str, params: type[Params] = Params, description: str = "", **meta: Any):
        register = super().add(name, params, description, **meta)

        def decorator(build: Callable[..., Objective]) -> Callable[..., Objective]:
            @functools.wraps(build)
            def build_for(params: Params, info: DataInfo) -> Objective:
                objective = build(params, info)
                return per_step(objective) if info.per_step else objective

            register(build_for)
            return build

        return decorator


losses = LossRegistry("loss")


@dataclass(frozen=True)
class Objective:
    """A loss together with what it asks of the network's head and of the labels."""

    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (output, prepared target) -> scalar
    out_features: int
    prepare: Callable[[torch.Tensor], torch.Tensor]  # raw labels -> what fn expects
    predict: Callable[[torch.Tensor], torch.Tensor] | None = None  # output -> class index
    # the loss of each sample (or each output), whose mean is fn: race members then share one loss call
    per_sample: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None


def per_step(objective: Objective) -> Objective:
    """The same loss over (batch, steps, ...) outputs and (batch, steps) labels: every step is one row, so the
    loss is the mean of one term per step and the accuracy is the share of positions labelled right."""

    def rows(t: torch.Tensor) -> torch.Tensor:
        return t.reshape(-1, *t.shape[2:])

    def prepare(y: torch.Tensor) -> torch.Tensor:
        prepared = objective.prepare(y.reshape(-1))
        return prepared.reshape(*y.shape[:2], *prepared.shape[1:])

    predict, each = objective.predict, objective.per_sample
    return Objective(
        lambda out, y: objective.fn(rows(out), rows(y)), objective.out_features, prepare,
        None if predict is None else lambda out: predict(rows(out)).reshape(out.shape[:2]),
        None if each is None else lambda out, y: each(rows(out), rows(y)),
    )


def argmax_predict(output: torch.Tensor) -> torch.Tensor:
    return output.argmax(dim=-1)


def one_hot(n_classes: int) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda y: torch.nn.functional.one_hot(y, n_classes).float()


from engine.losses import classification, margin, metric, regression  # noqa: E402,F401  (registers entries)
