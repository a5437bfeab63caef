"""Which members of a job can share a forward pass, read from the registry entries' capabilities.

Members share one when they see the same batches (data set, batch size, length, seed, augmentation) through the
same layer stack and loss, on a network whose entry says `batchable`, with an optimizer whose entry says
`elementwise`. Everything else may differ member by member: optimizer and its settings, schedule, init,
regularization, clipping, early stopping, probes, checkpoints.
"""

from __future__ import annotations

import json

from engine.config import Plan
from engine.networks import networks
from engine.optimizers import optimizers

SHARED_SECTIONS = {"dataset": "data set", "model": "network", "loss": "loss"}
# the settings that decide which batches a step sees and when members are logged
SHARED_TRAIN = ("steps", "epochs", "batch_size", "seed", "eval_every", "eval_share", "device", "augment",
                "mixup_alpha")


def obstacle(plan: Plan) -> str | None:
    """Why this member trains on its own whatever the others are (None when it can share)."""
    network, optimizer = plan.names["model"], plan.names["optimizer"]
    if not networks[network].meta.get("batchable"):
        return f"network '{network}' has layers without a batched form"
    if optimizers[optimizer].meta.get("needs_closure"):
        return f"optimizer '{optimizer}' evaluates the loss several times a step"
    if not optimizers[optimizer].meta.get("elementwise"):
        return f"optimizer '{optimizer}' moves a weight by more than its own gradient"
    if plan.config.start_from is not None:
        return "it starts from a checkpoint"
    if plan.config.train.manifold_mixup_alpha:
        return "manifold mixup mixes inside its own network"
    return None


def _shared(plan: Plan) -> dict[str, str]:
    """What must be equal for two members to share a forward pass, each part as comparable text."""
    parts = {label: json.dumps([plan.names.get(section), plan.params[section].model_dump(mode="json")])
             for section, label in SHARED_SECTIONS.items()}
    train = plan.config.train.model_dump(mode="json", include=set(SHARED_TRAIN))
    parts["batch size, length, seed, eval_every, eval_share, device and augmentation"] = json.dumps(train)
    return parts


def groups(plans: list[Plan]) -> list[list[int]]:
    """Member indices that train together, in order of their first member; a member alone trains solo."""
    found: dict[str, list[int]] = {}
    for i, plan in enumerate(plans):
        key = f"alone {i}" if obstacle(plan) else json.dumps(_shared(plan))
        found.setdefault(key, []).append(i)
    return list(found.values())


def batching_obstacle(plans: list[Plan]) -> str | None:
    """Why these members cannot all train batched together (None when they can); the UI shows the reason."""
    first = _shared(plans[0])
    for i, plan in enumerate(plans):
        reason = obstacle(plan)
        if reason:
            return f"member {i + 1}: {reason}"
        for what, value in _shared(plan).items():
            if value != first[what]:
                extra = "; stacked weights need one shape" if what == "network" else ""
                return f"member {i + 1}: its {what} differs from member 1's{extra}"
    return None
