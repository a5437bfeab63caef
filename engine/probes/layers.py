"""Per-layer gradient norm, weight norm and update/weight ratio, logged with the metrics at every logged step.

A layer is a weight matrix or kernel (a parameter of 2 or more dimensions), named as PyTorch names the
parameter with a trailing ".weight" dropped ("core.weight_hh_l0" stays as it is), except that the numbered
children of a flat Sequential are named by kind and order: "0", "3", "7" → "conv.0", "conv.1", "fc".
"""

from __future__ import annotations

import functools

from pydantic import Field

from engine.lazy import torch
from engine.probes import ProbeContext, probes
from engine.probes.common import spread
from engine.registry import Params


class LayerNormsParams(Params):  # no `every`: a watch reads at every logged step
    max_layers: int = Field(32, ge=1, le=256, description="most layers logged (evenly spaced, first and last kept)")


@functools.cache
def _kinds() -> tuple[tuple[type, str], ...]:
    nn = torch.nn
    return (nn.modules.conv._ConvNd, "conv"), (nn.Linear, "fc"), (nn.Embedding, "embed")


def _kind(module: torch.nn.Module) -> str:
    return next((short for cls, short in _kinds() if isinstance(module, cls)), type(module).__name__.lower())


def module_names(model: torch.nn.Module) -> dict[str, str]:
    """Module path → the name pages show. A flat Sequential numbers its children ("0", "3", "7"), which says
    nothing of what they are: those become "<kind>.<i>" in order, or "<kind>" when the kind occurs once."""
    numbered = [(path, _kind(m)) for path, m in model.named_modules()
                if path.replace(".", "").isdigit() and not any(True for _ in m.children())]
    total = {kind: sum(1 for _, k in numbered if k == kind) for _, kind in numbered}
    seen: dict[str, int] = {}
    names = {}
    for path, kind in numbered:
        index = seen[kind] = seen.get(kind, -1) + 1
        names[path] = kind if total[kind] == 1 else f"{kind}.{index}"
    return names


def weight_layers(model: torch.nn.Module, limit: int = 1000) -> list[tuple[str, torch.nn.Parameter]]:
    """(layer name, weight) for every matrix or kernel of the model, in definition order."""
    names = module_names(model)
    found = []
    for name, p in model.named_parameters():
        if p.ndim >= 2:
            path = name.removesuffix(".weight")
            found.append((names.get(path, path), p))
    return spread(found, limit)


class LayerNorms:
    """A watch: the trainer calls its hooks on logged steps only, so steps between points pay nothing."""

    def __init__(self, params: LayerNormsParams):
        self.limit = params.max_layers
        self.layers: list[tuple[str, torch.nn.Parameter]] | None = None
        self.names: dict[str, list[str]] = {}
        self.before: list[torch.Tensor] | None = None
        self.grads: torch.Tensor | None = None

    def _layers(self, model: torch.nn.Module) -> list[tuple[str, torch.nn.Parameter]]:
        if self.layers is None:
            self.layers = weight_layers(model, self.limit)
            self.names = {kind: [f"{kind}/{name}" for name, _ in self.layers]
                          for kind in ("weight_norm", "update_ratio", "grad_norm")}
        return self.layers

    def on_train_batch_start(self, model: torch.nn.Module) -> None:
        """Before optimizer.step: keep the weights, to measure what the step changes."""
        # the _foreach kernels (as clip_grad_norm_ uses) do a whole layer list in one call: ~40% cheaper
        self.before = torch._foreach_mul([w.detach() for _, w in self._layers(model)], 1.0)

    def on_before_optimizer_step(self, model: torch.nn.Module) -> None:
        """After backward, before clipping: vanishing or exploding gradients stay visible as they are."""
        layers = self._layers(model)
        if not layers:
            return
        grads = [w.grad if w.grad is not None else torch.zeros((), device=w.device) for _, w in layers]
        self.grads = torch.stack(torch._foreach_norm(grads))

    def metrics(self, model: torch.nn.Module) -> dict[str, float | None]:
        """grad_norm/<layer>, weight_norm/<layer> and update_ratio/<layer> (‖Δw‖ / ‖w‖) for this point."""
        layers = self._layers(model)
        if not layers:
            return {}
        weights = [w.detach() for _, w in layers]  # detached: no autograd bookkeeping (cheaper than no_grad)
        rows = [torch.stack(torch._foreach_norm(weights))]
        if self.before is not None:
            rows.append(torch.stack(torch._foreach_norm(torch._foreach_sub(weights, self.before))))
        if self.grads is not None:
            rows.append(self.grads)
        table = torch.stack(rows).tolist()  # one device sync for the whole point
        values: dict[str, float | None] = dict(zip(self.names["weight_norm"], table[0], strict=True))
        if self.before is not None:
            # a layer at exactly zero (a zeros init) has no scale to compare the step with
            values.update((key, step / size if size > 0 else None)
                          for key, step, size in zip(self.names["update_ratio"], table[1], table[0], strict=True))
        if self.grads is not None:
            values.update((key, g) for key, g, (_, w) in zip(self.names["grad_norm"], table[-1], layers, strict=True)
                          if w.grad is not None)
        self.before, self.grads = None, None
        return values


@probes.add(
    "layer_norms", LayerNormsParams,
    "gradient norm, weight norm and update/weight ratio of every layer, logged with the metrics",
    applies=lambda info: True, default=True, watch=True,
    formula=r"\|\nabla_W L\|,\ \|W\|,\ \|\Delta W\| / \|W\|",
)
def layer_norms(params: LayerNormsParams, ctx: ProbeContext) -> LayerNorms:
    return LayerNorms(params)

