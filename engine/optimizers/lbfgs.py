"""L-BFGS: a quasi-Newton method that re-evaluates the loss several times per step, so it needs a closure.

Entries with meta `needs_closure` are stepped as optimizer.step(closure); the trainer does this for all.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.lazy import torch
from engine.optimizers import optimizers
from engine.registry import Params


class LBFGSParams(Params):
    lr: float = Field(1.0, gt=0.0, le=10.0, description="scale on the quasi-Newton step (1 = the full step)")
    max_iter: int = Field(20, ge=1, le=100, description="inner iterations per optimizer step")
    history_size: int = Field(10, ge=1, le=100, description="past updates kept to approximate the inverse Hessian")
    line_search_fn: Literal["strong_wolfe", "none"] = Field(
        "strong_wolfe", description="line search along each direction; 'none' takes lr-sized steps"
    )


@optimizers.add(
    "lbfgs", LBFGSParams, "limited-memory BFGS: curvature from recent gradients; best with large or full batches",
    formula=r"\theta \leftarrow \theta - \eta\, H_k^{-1} g", needs_closure=True,
)
def lbfgs(params: LBFGSParams, parameters):
    line_search = None if params.line_search_fn == "none" else params.line_search_fn
    return torch.optim.LBFGS(parameters, lr=params.lr, max_iter=params.max_iter,
                             history_size=params.history_size, line_search_fn=line_search)
