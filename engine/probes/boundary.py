"""Decision boundary of a 2-D classifier: class scores on a grid, sent as base64 uint8 (64×64 = 4 KB)."""

from __future__ import annotations

import base64

from pydantic import Field

from engine.lazy import torch
from engine.probes import ProbeContext, ProbeParams, class_scores, probes


class BoundaryParams(ProbeParams):
    resolution: int = Field(64, ge=8, le=200, description="grid cells per side")


def _b64(values: torch.Tensor) -> str:
    return base64.b64encode(values.to(torch.uint8).cpu().numpy().tobytes()).decode("ascii")


def _is_2d_classification(info) -> bool:
    return info.kind == "points" and info.task == "classification"


def plane(data, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """An n×n grid over the training points' box (10% margin) in their original coordinates: (xs, ys, the grid
    z-scored as the model sees its inputs, (n·n, 2) row by row from the lowest y)."""
    raw_train = data.x_train * data.std + data.mean
    low, high = raw_train.min(0).values, raw_train.max(0).values
    pad = 0.1 * (high - low)
    low, high = low - pad, high + pad
    xs = torch.linspace(float(low[0]), float(high[0]), n)
    ys = torch.linspace(float(low[1]), float(high[1]), n)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], 1).to(data.x_train.device)
    return xs, ys, (grid - data.mean) / data.std


@probes.add(
    "decision_boundary", BoundaryParams, "the classifier's regions over the plane, redrawn as it trains",
    applies=_is_2d_classification, default=True,
    formula=r"\hat y(x) = \arg\max_k f_k(x)\ \text{on a grid of the plane}",
)
def decision_boundary(params: BoundaryParams, ctx: ProbeContext):
    data = ctx.data
    # the grid lives in the original coordinates; the model sees them z-scored like its inputs
    n = params.resolution
    xs, ys, grid_in = plane(data, n)
    raw_train = data.x_train * data.std + data.mean
    n_classes = data.info.n_classes
    shown = raw_train[:1000]
    points = {
        "x": [round(v, 4) for v in shown[:, 0].tolist()],
        "y": [round(v, 4) for v in shown[:, 1].tolist()],
        "label": data.y_train[:1000].tolist(),
    }

    sent = False

    def read(model, step: int):
        nonlocal sent
        was_training = model.training
        model.eval()
        scores = class_scores(model, ctx.objective, grid_in)
        model.train(was_training)
        if n_classes == 2:
            z = _b64(torch.round(scores[:, 1] * 255))
        else:
            z = _b64(scores.argmax(1))
        reading = {
            "n": n, "x0": float(xs[0]), "x1": float(xs[-1]), "y0": float(ys[0]), "y1": float(ys[-1]),
            "n_classes": n_classes, "z": z, "z_kind": "probability" if n_classes == 2 else "class",
        }
        if not sent:  # the first reading carries the data, at step 0 or wherever a continued run begins
            reading["points"], sent = points, True
        return reading

    return read
