"""One member on its own module: the training step a person writes by hand."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch import nn

from engine.losses import Objective
from engine.tricks import LossOfOutput
from engine.validation import measure

if TYPE_CHECKING:
    from engine.trainer import Run

def evaluate(
    model: nn.Module, objective: Objective, x: torch.Tensor, y_raw: torch.Tensor
) -> tuple[float, float | None]:
    """Loss and accuracy (None without classes) of `model` on (x, y), in eval mode."""
    reading = measure(model, objective, x, y_raw, spread=False)
    return reading.loss, reading.acc


class Solo:
    """One member on its own module: the step a person writes by hand. Every optimizer is stepped as
    step(closure): most call it once, L-BFGS (needs_closure) several times, and each call sees the same batch."""

    def __init__(self, model: nn.Module):
        self.model = model

    def parameters(self, index: int) -> list[torch.Tensor]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def loss_fn(self, objective: Objective) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        return objective.fn

    def step(self, runs: list[Run], inputs: torch.Tensor, loss_of: LossOfOutput, due: bool) -> torch.Tensor:
        (run,) = runs
        closure = functools.partial(self.forward_backward, run, inputs, loss_of, due)
        return run.optimizer.step(closure).detach().view(1)

    def forward_backward(self, run: Run, inputs: torch.Tensor, loss_of: LossOfOutput, due: bool) -> torch.Tensor:
        run.optimizer.zero_grad(set_to_none=True)
        loss = loss_of(self.model(inputs))
        if run.penalty is not None:
            loss = loss + run.penalty(self.model)
        loss.backward()
        run.after_backward(due)
        return loss

    def checkpointed(self, optimizer: torch.optim.Optimizer, index: int) -> torch.optim.Optimizer:
        return optimizer
