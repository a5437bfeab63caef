"""Facts about a planned network without training it: each layer's output shape, parameters and FLOPs.

Shapes come from forward hooks and FLOPs from torch.utils.flop_counter, so the table always agrees with
what PyTorch runs (recurrent layers, whose fused kernels it cannot see, are counted with the notes' formula);
multiply-adds (the notes' unit) are FLOPs / 2.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from engine.config import ConfigError, Plan, RunConfig, resolve
from engine.diagram import structure
from engine.losses import losses
from engine.probes.layers import module_names


def _model(plan: Plan, objective=None) -> nn.Module:
    from engine.trainer import build_model  # the trainer owns how a model is assembled

    return build_model(plan, objective or losses[plan.names["loss"]].build(plan.params["loss"], plan.info))


def build_errors(plan: Plan) -> list[dict[str, Any]]:
    """Build the network on the meta device (no memory, no init cost) and push a batch through it, so a layer
    stack that does not fit the data set's shape is a config error, not a failed run."""
    objective = losses[plan.names["loss"]].build(plan.params["loss"], plan.info)
    try:
        with torch.device("meta"):
            model = _model(plan, objective)
            model.eval()(torch.empty(2, *plan.info.input_shape))
    except (ValueError, RuntimeError) as exc:
        return [{"loc": ["model", "params"], "msg": f"this network does not fit '{plan.names['dataset']}': {exc}",
                 "type": "value_error"}]
    return []


def survey(config: RunConfig, table: bool = False) -> dict[str, Any]:
    """What only torch can say about a config, for the web process (asked through the planner process): every
    problem `resolve` finds plus whether the network fits the data (ConfigError), its parameter count, and its
    layer table when asked."""
    plan = resolve(config)
    errors = build_errors(plan)
    if errors:
        raise ConfigError(errors)
    facts: dict[str, Any] = {"parameters": count_parameters(plan)}
    if table:
        facts["architecture"] = layer_table(plan)
    return facts


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


def _recurrent_macs(module: nn.RNNBase, shape: list[int]) -> int:
    """Per step and direction, each gate multiplies the input and the hidden state by a matrix."""
    steps = shape[0]
    gates = {"LSTM": 4, "GRU": 3}.get(type(module).__name__, 1)
    directions = 2 if module.bidirectional else 1
    macs, width_in = 0, module.input_size
    for _ in range(module.num_layers):
        macs += steps * directions * gates * (width_in + module.hidden_size) * module.hidden_size
        width_in = module.hidden_size * directions
    return macs


def _attention_macs(module: nn.MultiheadAttention, shape: list[int]) -> int:
    """Self-attention over T tokens of width d: Q, K, V and output projections (4·T·d²), scores and their
    weighted sum (2·T²·d)."""
    tokens, width = shape[0], module.embed_dim
    return 4 * tokens * width * width + 2 * tokens * tokens * width


# units whose fused kernels torch's flop counter does not see (an LSTM, attention in eval): the notes' count
COUNTED_BY_HAND = {nn.RNNBase: _recurrent_macs, nn.MultiheadAttention: _attention_macs}


def layer_table(plan: Plan) -> dict[str, Any]:
    """One row per unit in call order, for a single input sample, plus the totals; the rows add up to them.

    A unit is a called module none of whose descendants was called on its own (a Linear, a conv, an attention
    block whose projections run inside its forward). A container that holds parameters of its own (a
    Transformer's position table) or computes outside its children gets a row for that. Every parameter and
    every multiply-add is in exactly one row.
    """
    with torch.random.fork_rng():
        model = _model(plan).eval()
    shapes: dict[str, list[int] | None] = {}
    order: list[str] = []
    hooks = []
    for name, module in model.named_modules():
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
    counted = counter.get_flop_counts()
    modules = dict(model.named_modules())
    prefix = type(model).__name__

    def flops(name: str) -> int:
        """FLOPs the counter saw in a module and everything it called (its figures are hierarchical)."""
        return int(sum(counted.get(f"{prefix}.{name}" if name else prefix, {}).values()))

    def nearest_called(name: str) -> list[str]:
        """The called modules below `name` with no other called module between."""
        below = [n for n in order if n != name and (not name or n.startswith(name + "."))]
        return [n for n in below if not any(m != n and n.startswith(m + ".") for m in below)]

    rows = []
    for name in order:
        module = modules[name]
        inner = nearest_called(name)
        by_hand = next((fn for kind, fn in COUNTED_BY_HAND.items() if isinstance(module, kind)), None)
        if not inner:
            params = sum(p.numel() for p in module.parameters())
            layer_flops = 2 * by_hand(module, shapes[name]) if by_hand and shapes[name] else flops(name)
        else:
            # a container: its own parameters, and what its own forward computes outside the modules it calls
            params = sum(p.numel() for p in module.parameters(recurse=False))
            layer_flops = flops(name) - sum(flops(n) for n in inner)
            if not params and not layer_flops:
                continue
        label = name or "(model)"
        # what start_from.freeze names to freeze this row's tensors: a layer by its prefix ("3." and not "30.")
        freeze = [f"{name}."] if params and name else []
        if inner and params:  # a container's own tensors go by their names: "position", not the whole model
            freeze = [f"{name}.{p}" if name else p for p, _ in module.named_parameters(recurse=False)]
            label = ", ".join(freeze)
        rows.append({
            "name": label, "type": type(module).__name__, "output_shape": shapes[name],
            "parameters": params, "flops": int(layer_flops), "macs": int(layer_flops // 2), "freeze": freeze,
        })
    # parameters of modules the forward never reached (a layer defined but unused): listed, so the sum holds
    units = [n for n in order if not nearest_called(n)]
    seen = {id(p) for n in units for p in modules[n].parameters()}
    seen |= {id(p) for n in order for p in modules[n].parameters(recurse=False)}
    for name, module in modules.items():
        unused = [p for p in module.parameters(recurse=False) if id(p) not in seen]
        if unused:
            rows.append({"name": name or "(model)", "type": type(module).__name__ + " (not called)",
                         "output_shape": None, "parameters": sum(p.numel() for p in unused), "flops": 0, "macs": 0,
                         "freeze": []})
    return {
        "input_shape": list(plan.info.input_shape), "output_shape": _shape(output), "layers": rows,
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "flops": sum(row["flops"] for row in rows), "macs": sum(row["macs"] for row in rows),
        "structure": structure(model, plan),  # residuals, branches, loops: how the diagram joins the rows
        "names": module_names(model),  # "1" → "fc.0": what the probes call a flat Sequential's layers
    }
