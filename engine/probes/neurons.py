"""Neurons as pictures (TensorFlow Playground's view): every unit's output over the input plane, for 2-D data.

Each layer whose output is a vector of at most `max_units` units (the inputs x₁ x₂ after Flatten, each Linear,
each activation) is one atlas PNG of its units' maps, every map on its own range; each such Linear also sends its
weights, which the diagram draws as edges (width: magnitude, colour: sign).
"""

from __future__ import annotations

from pydantic import Field

from engine.lazy import torch
from engine.probes import ProbeContext, ProbeParams, probes
from engine.probes.boundary import plane
from engine.probes.common import run_with_hooks
from engine.probes.layers import module_names
from engine.probes.png import atlas, round_sig


class NeuronParams(ProbeParams):
    resolution: int = Field(24, ge=8, le=64, description="grid cells per side of each unit's picture")
    max_units: int = Field(16, ge=1, le=64, description="layers wider than this are not drawn")


def _leaves(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    """Every module without children, named as the other probes name it ("fc.0", not a Sequential's "1")."""
    names = module_names(model)
    return [(names.get(name, name), m) for name, m in model.named_modules()
            if name and not any(True for _ in m.children())]


@probes.add(
    "neurons", NeuronParams, "each unit's output over the input plane, drawn on the network diagram's nodes",
    applies=lambda info: info.kind == "points" and tuple(info.input_shape) == (2,), default=True,
    formula=r"h_j(x_1, x_2)\ \text{on a grid of the plane}",
)
def neurons(params: NeuronParams, ctx: ProbeContext):
    n = params.resolution
    xs, ys, grid_in = plane(ctx.data, n)
    extent = [round_sig(float(v)) for v in (xs[0], xs[-1], ys[0], ys[-1])]

    def read(model: torch.nn.Module, step: int):
        outputs: dict[str, torch.Tensor] = {}

        def keep(name, module, _args, out):
            if isinstance(out, torch.Tensor) and out.dim() == 2 and out.shape[1] <= params.max_units:
                outputs[name] = out

        with torch.no_grad():
            run_with_hooks(model, _leaves(model), grid_in, keep)
        # flipped: an image's first row is the plane's top (the largest x₂)
        layers = [{"name": name, "units": out.shape[1], **atlas(out.T.reshape(-1, n, n).flip(1))}
                  for name, out in outputs.items()]
        modules = dict(_leaves(model))
        weights = {name: [[round_sig(w, 3) for w in row] for row in modules[name].weight.detach().cpu().tolist()]
                   for name in outputs if isinstance(modules[name], torch.nn.Linear)}
        return {"step": step, "n": n, "extent": extent, "layers": layers, "weights": weights}

    return read
