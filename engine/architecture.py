"""Facts about a planned network without training it: parameter count, built on the meta device."""

from __future__ import annotations

import torch

from engine.config import Plan
from engine.losses import losses


def count_parameters(plan: Plan) -> int:
    """Parameters of the model the plan would build; the meta device allocates no memory."""
    objective = losses[plan.names["loss"]].build(plan.params["loss"], plan.info)
    from engine.trainer import build_model  # the trainer owns how a model is assembled

    with torch.device("meta"):
        model = build_model(plan, objective)
    return sum(p.numel() for p in model.parameters())
