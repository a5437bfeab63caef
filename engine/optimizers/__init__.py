"""Optimizers: each entry builds a torch.optim.Optimizer over a list of parameters.

Capabilities on an entry: `elementwise` (each weight moves by its own gradient and history alone, so the
optimizer may step all of a model's weights as one flat tensor: batched race members do) and `needs_closure`
(it evaluates the loss several times a step).
"""

from __future__ import annotations

from pydantic import Field

from engine.registry import Params, Registry, load_entries

optimizers = Registry("optimizer")


class LRParams(Params):
    lr: float = Field(0.01, gt=0.0, le=10.0, description="learning rate η")
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="L2 penalty folded into the gradient")


load_entries(__name__, __path__, first=["sgd", "adaptive", "lbfgs"])  # sgd first in the catalog
