"""Feature maps of every conv layer for one probe input, and the kernels of the first conv layer, as small PNGs.

Each layer is one PNG (its maps stacked) with every map's min and max, so the browser can colour per map, per
layer or on one global scale, as CNN Explainer does. A 1-D conv layer's maps are rows of one image.
"""

from __future__ import annotations

from pydantic import Field

from engine.lazy import torch
from engine.probes import ProbeContext, probes
from engine.probes.common import SampleParams, probe_input, run_with_hooks, sample_label, spread
from engine.probes.layers import module_names
from engine.probes.png import atlas


class FeatureMapParams(SampleParams):
    max_channels: int = Field(32, ge=1, le=256, description="maps shown per layer (the first ones)")
    max_layers: int = Field(8, ge=1, le=32, description="conv layers shown (evenly spaced, first and last kept)")
    max_pixels: int = Field(4096, ge=64, le=1_000_000, description="pixels per layer: fewer maps of big ones")


def _as_maps(t: torch.Tensor) -> torch.Tensor:
    """(C, H, W) stays; a 1-D (C, L) becomes (C, 1, L)."""
    return t.unsqueeze(1) if t.dim() == 2 else t


def _shown(out: torch.Tensor, params: FeatureMapParams) -> int:
    """How many of a layer's maps fit the reading: a few KB to tens of KB whatever the image size."""
    per_map = out[0, 0].numel()
    return max(1, min(params.max_channels, params.max_pixels // per_map))


def conv_layers(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    """(name, conv layer), named as the gradient panels name it ("conv.0", not a Sequential's "0")."""
    convs = (torch.nn.Conv1d, torch.nn.Conv2d)
    names = module_names(model)
    return [(names.get(name, name), m) for name, m in model.named_modules() if isinstance(m, convs)]


@probes.add(
    "feature_maps", FeatureMapParams, "what each conv layer sees in one validation sample, and the first kernels",
    applies=lambda info: info.kind in ("image", "signal"), default=True, formula=r"a_c = \sigma(W_c * x + b_c)",
)
def feature_maps(params: FeatureMapParams, ctx: ProbeContext):
    x = probe_input(ctx, params.sample)
    label = sample_label(ctx, params.sample)
    sent_input = False

    def read(model, step: int):
        nonlocal sent_input
        layers = spread(conv_layers(model), params.max_layers)
        if not layers:
            if sent_input:
                return None
            sent_input = True
            return {"layers": [], "note": "this network has no convolutions"}
        outputs: dict[str, torch.Tensor] = {}
        run_with_hooks(model, layers, x, lambda name, _m, _args, out: outputs.__setitem__(name, out))
        reading = {"step": step, "layers": [
            {"name": name, "channels": out.shape[1], **atlas(_as_maps(out[0, : _shown(out, params)]))}
            for name, out in outputs.items()
        ]}
        first = layers[0][1].weight.detach()
        kernels = first[: params.max_channels, :3]  # at most three input channels (RGB), one map each
        reading["kernels"] = {"name": layers[0][0], "out": kernels.shape[0], "in": kernels.shape[1],
                              **atlas(_as_maps(kernels.reshape(-1, *kernels.shape[2:])))}
        if not sent_input:
            reading["input"] = {"sample": params.sample, "label": label, **atlas(_as_maps(x[0]))}
            sent_input = True
        return reading

    return read
