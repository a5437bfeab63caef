"""Facts about a planned network without training it: each layer's output shape, parameters and FLOPs.

Shapes come from forward hooks and FLOPs from torch.utils.flop_counter, so the table always agrees with
what PyTorch runs; multiply-adds (the notes' unit) are FLOPs / 2.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from engine.config import Plan
from engine.losses import losses


def _model(plan: Plan) -> nn.Module:
    from engine.trainer import build_model  # the trainer owns how a model is assembled

    return build_model(plan, losses[plan.names["loss"]].build(plan.params["loss"], plan.info))


def count_parameters(plan: Plan) -> int:
    """Parameters of the model the plan would build; the meta device allocates no memory."""
    with torch.device("meta"):
        model = _model(plan)
    return sum(p.numel() for p in model.parameters())


def _shape(output: Any) -> list[int] | None:
    if isinstance(output, torch.Tensor):
        return list(output.shape[1:])
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return list(output[0].shape[1:])  # e.g. an RNN's (output, hidden)
    return None


def layer_table(plan: Plan) -> dict[str, Any]:
    """One row per leaf module in call order, for a single input sample, plus the totals."""
    with torch.random.fork_rng():
        model = _model(plan).eval()
    shapes: dict[str, list[int] | None] = {}
    order: list[str] = []
    hooks = []
    for name, module in model.named_modules():
        if name and not any(module.children()):
            def hook(mod, args, output, name=name):
                if name not in shapes:
                    order.append(name)
                shapes[name] = _shape(output)
            hooks.append(module.register_forward_hook(hook))
    sample = torch.zeros(1, *plan.info.input_shape)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        output = model(sample)
    for h in hooks:
        h.remove()
    flops = counter.get_flop_counts()
    modules = dict(model.named_modules())
    rows = []
    for name in order:
        module = modules[name]
        layer_flops = sum(flops.get(f"{type(model).__name__}.{name}", {}).values()) if flops else 0
        rows.append({
            "name": name, "type": type(module).__name__, "output_shape": shapes[name],
            "parameters": sum(p.numel() for p in module.parameters(recurse=False)),
            "flops": int(layer_flops), "macs": int(layer_flops // 2),
        })
    total_flops = int(sum(flops.get("Global", {}).values())) if flops else 0
    return {
        "input_shape": list(plan.info.input_shape), "output_shape": _shape(output), "layers": rows,
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "flops": total_flops, "macs": total_flops // 2,
    }
