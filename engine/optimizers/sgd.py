"""Gradient descent and its momentum variants (torch.optim.SGD underneath)."""

from __future__ import annotations

import torch
from pydantic import Field

from engine.optimizers import LRParams, optimizers


class SGDParams(LRParams):
    lr: float = Field(0.1, gt=0.0, le=10.0, description="learning rate η")


class MomentumParams(SGDParams):
    momentum: float = Field(0.9, ge=0.0, lt=1.0, description="λ: how much of the last step is kept")


@optimizers.add(
    "sgd", SGDParams, "plain gradient descent; batch size 1 = SGD, 'full' = BGD, n = mini-batch",
    formula=r"\theta \leftarrow \theta - \eta\, g",
)
def sgd(params: SGDParams, parameters):
    return torch.optim.SGD(parameters, lr=params.lr, weight_decay=params.weight_decay)


@optimizers.add(
    "momentum", MomentumParams, "heavy ball: a velocity accumulates past gradients; λ=0 is plain SGD. PyTorch's "
    "form has no (1−β) in v (the notes' other form v = βv + (1−β)g): its lr equals that form's η·(1−β)",
    formula=r"v \leftarrow \lambda v + g,\quad \theta \leftarrow \theta - \eta v",
)
def momentum(params: MomentumParams, parameters):
    return torch.optim.SGD(parameters, lr=params.lr, momentum=params.momentum, weight_decay=params.weight_decay)


@optimizers.add(
    "nesterov", MomentumParams, "Nesterov momentum: the gradient is taken at the look-ahead point",
    formula=r"v \leftarrow \lambda v + g,\quad \theta \leftarrow \theta - \eta (g + \lambda v)",
)
def nesterov(params: MomentumParams, parameters):
    return torch.optim.SGD(
        parameters, lr=params.lr, momentum=params.momentum, nesterov=True, weight_decay=params.weight_decay
    )
