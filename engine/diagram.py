"""The shape of a network for its drawing: which layer rows form a residual, parallel branches, a loop, a shared tower.

A module class says what it is by a `diagram_parts()` method (names relative to the module); the drawing
(static/js/diagram.js) places the plan's rows by these groups, so a new block type draws by adding that method.
"""

from __future__ import annotations

from typing import Any

from engine.config import Plan
from engine.lazy import torch
from engine.networks import networks

# what the triplet loss reads through the one shared network
SHARED_INPUTS = ["anchor", "positive", "negative"]


def _absolute(prefix: str, part: Any) -> Any:
    """Relative module names in a diagram_parts() answer, made full: "body" under "1" is "1.body"."""
    if isinstance(part, str):
        return f"{prefix}.{part}" if prefix else part
    if isinstance(part, list):
        return [_absolute(prefix, p) for p in part]
    if isinstance(part, dict):
        return {k: v if k in ("kind", "label") else _absolute(prefix, v) for k, v in part.items()}
    return part


def structure(model: torch.nn.Module, plan: Plan) -> list[dict[str, Any]]:
    """Groups in definition order: {"kind": "residual" | "branches" | "loop" | "shared", "at": module name, ...}."""
    groups: list[dict[str, Any]] = []
    if networks[plan.names["model"]].meta.get("shared_weights"):
        groups.append({"kind": "shared", "at": "", "inputs": SHARED_INPUTS})
    for name, module in model.named_modules():
        parts = getattr(module, "diagram_parts", None)
        if callable(parts):
            groups.extend({"at": name, **_absolute(name, group)} for group in parts())
        elif isinstance(module, torch.nn.RNNBase):
            # a recurrent layer feeds its state back to itself at every time step
            groups.append({"kind": "loop", "at": name, "label": f"h (×{module.num_layers})"
                           if module.num_layers > 1 else "h"})
    return groups
