"""Optimizers: each entry builds a torch.optim.Optimizer over a list of parameters."""

from __future__ import annotations

from pydantic import Field

from engine.registry import Params, Registry

optimizers = Registry("optimizer")


class LRParams(Params):
    lr: float = Field(0.01, gt=0.0, le=10.0, description="learning rate η")
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="L2 penalty folded into the gradient")


from engine.optimizers import sgd, adaptive, lbfgs  # noqa: E402,F401,I001  (registers entries; sgd first in the catalog)
