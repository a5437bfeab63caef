"""Losses: each entry turns a data set's info into an Objective (loss fn, head size, targets, predictions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from engine.registry import Registry

losses = Registry("loss")


@dataclass(frozen=True)
class Objective:
    """A loss together with what it asks of the network's head and of the labels."""

    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (output, prepared target) -> scalar
    out_features: int
    prepare: Callable[[torch.Tensor], torch.Tensor]  # raw labels -> what fn expects
    predict: Callable[[torch.Tensor], torch.Tensor] | None = None  # output -> class index


def argmax_predict(output: torch.Tensor) -> torch.Tensor:
    return output.argmax(dim=-1)


def one_hot(n_classes: int) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda y: torch.nn.functional.one_hot(y, n_classes).float()


from engine.losses import classification, margin, metric, regression  # noqa: E402,F401  (registers entries)
