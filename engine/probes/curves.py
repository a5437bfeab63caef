"""What a regression net predicts: the fitted curve of 1-D data and the forecasts of sequence data."""

from __future__ import annotations

from pydantic import Field

from engine.lazy import torch
from engine.probes import ProbeContext, ProbeParams, probes
from engine.probes.common import evaluating
from engine.probes.png import round_sig

POINTS_SHOWN = 500


class FitCurveParams(ProbeParams):
    resolution: int = Field(200, ge=10, le=2000, description="grid points along x")


class ForecastParams(ProbeParams):
    sequences: int = Field(4, ge=1, le=16, description="validation sequences drawn with their forecasts")
    scatter: int = Field(200, ge=0, le=2000, description="validation samples in the predicted-vs-true scatter")


def _rounded(values: torch.Tensor) -> list[float]:
    return [round_sig(v, 4) for v in values.detach().float().cpu().reshape(-1).tolist()]


def _is_curve(info) -> bool:
    return info.kind == "vector" and info.task == "regression" and tuple(info.input_shape) == (1,)


@probes.add(
    "fit_curve", FitCurveParams, "the fitted function over x, drawn on the training and validation points",
    applies=_is_curve, default=True, formula=r"\hat y = f(x)\ \text{on a grid of } x",
)
def fit_curve(params: FitCurveParams, ctx: ProbeContext):
    data = ctx.data
    # the grid lives in the original coordinates; the model sees them z-scored like its inputs
    raw_train, raw_val = data.x_train * data.std + data.mean, data.x_val * data.std + data.mean
    low, high = float(raw_train.min()), float(raw_train.max())
    pad = 0.05 * (high - low or 1.0)
    grid = torch.linspace(low - pad, high + pad, params.resolution, device=data.x_train.device)[:, None]
    grid_in = (grid - data.mean) / data.std
    points = {
        "train": {"x": _rounded(raw_train[:POINTS_SHOWN]), "y": _rounded(data.y_train[:POINTS_SHOWN])},
        "val": {"x": _rounded(raw_val[:POINTS_SHOWN]), "y": _rounded(data.y_val[:POINTS_SHOWN])},
    }
    sent_points = False

    def read(model, step: int):
        nonlocal sent_points
        with evaluating(model):
            prediction = model(grid_in)[:, 0]
        reading = {"x0": round_sig(low - pad), "x1": round_sig(high + pad), "n": params.resolution,
                   "y": _rounded(prediction)}
        if not sent_points:
            reading["points"], sent_points = points, True
        return reading

    return read


def _is_forecast(info) -> bool:
    return info.kind == "sequence" and info.task == "regression" and info.input_shape[-1] == 1


@probes.add(
    "forecast", ForecastParams, "sequence forecasts: a few validation windows with the true and predicted future",
    applies=_is_forecast, default=True, formula=r"\hat y_{T+1 \dots T+h} = f(x_{1 \dots T})",
)
def forecast(params: ForecastParams, ctx: ProbeContext):
    data = ctx.data
    shown = data.x_val[: params.sequences]
    windows = (shown * data.std + data.mean)[..., 0]  # (n, T) in the data's own units
    targets = data.y_val[: params.sequences].reshape(len(shown), -1)
    scatter_x = data.x_val[: params.scatter]
    scatter_true = data.y_val[: len(scatter_x)].reshape(len(scatter_x), -1)[:, 0]
    series = {"windows": [_rounded(w) for w in windows], "targets": [_rounded(t) for t in targets],
              "scatter_true": _rounded(scatter_true)}
    sent_series = False

    def read(model, step: int):
        nonlocal sent_series
        with evaluating(model):
            predicted = model(shown).reshape(len(shown), -1)
            scattered = model(scatter_x)[:, 0] if len(scatter_x) else torch.zeros(0)
        reading = {"predictions": [_rounded(p) for p in predicted], "scatter_predicted": _rounded(scattered)}
        if not sent_series:
            reading["series"], sent_series = series, True
        return reading

    return read
