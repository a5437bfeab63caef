"""Regression losses; on a classification set they regress one-hot targets (the notes' MSE + softmax case)."""

from __future__ import annotations

import functools

from pydantic import Field

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.losses import Objective, argmax_predict, losses, one_hot
from engine.registry import Params

BOTH = ["classification", "regression"]


def _objective(fn, info: DataInfo, each=None) -> Objective:
    if info.task == "classification":
        return Objective(fn, info.n_classes, one_hot(info.n_classes), argmax_predict, each)
    return Objective(fn, info.target_dim, lambda y: y.float().reshape(len(y), -1), per_sample=each)


@losses.add("mse", description="mean squared error", tasks=BOTH, formula=r"\frac{1}{m}\sum_i (\hat y_i - y_i)^2")
def mse(params: Params, info: DataInfo) -> Objective:
    F = torch.nn.functional
    return _objective(F.mse_loss, info, functools.partial(F.mse_loss, reduction="none"))


@losses.add("mae", description="mean absolute error, robust to outliers", tasks=BOTH,
            formula=r"\frac{1}{m}\sum_i |\hat y_i - y_i|")
def mae(params: Params, info: DataInfo) -> Objective:
    F = torch.nn.functional
    return _objective(F.l1_loss, info, functools.partial(F.l1_loss, reduction="none"))


class HuberParams(Params):
    delta: float = Field(1.0, gt=0.0, description="where the loss turns from quadratic to linear")


@losses.add("huber", HuberParams, "quadratic near zero, linear far away", tasks=BOTH,
            formula=r"\tfrac12 e^2\ (|e|\le\delta);\ \delta(|e|-\tfrac12\delta)")
def huber(params: HuberParams, info: DataInfo) -> Objective:
    F = torch.nn.functional
    return _objective(lambda out, y: F.huber_loss(out, y, delta=params.delta), info)


class SmoothL1Params(Params):
    beta: float = Field(1.0, gt=0.0, description="where the loss turns from quadratic to linear")


@losses.add("smooth_l1", SmoothL1Params, "Huber divided by β (Fast R-CNN's box loss); β = 1 equals huber",
            tasks=BOTH, formula=r"\tfrac{0.5 e^2}{\beta}\ (|e|<\beta);\ |e|-\tfrac12\beta")
def smooth_l1(params: SmoothL1Params, info: DataInfo) -> Objective:
    F = torch.nn.functional
    return _objective(lambda out, y: F.smooth_l1_loss(out, y, beta=params.beta), info)


@losses.add("msle", description="mean squared log error, for non-negative targets over large ranges "
            "(values below 0 are clipped to 0, as Keras does)", tasks=["regression"],
            formula=r"\frac{1}{m}\sum_i (\log(1+\hat y_i) - \log(1+y_i))^2")
def msle(params: Params, info: DataInfo) -> Objective:
    F = torch.nn.functional
    return _objective(lambda out, y: F.mse_loss(out.clamp_min(0).log1p(), y.clamp_min(0).log1p()), info)


class MAPEParams(Params):
    eps: float = Field(0.01, gt=0.0, le=1.0, description="floor on |y| so targets near 0 do not blow the loss up")


@losses.add("mape", MAPEParams, "mean absolute percentage error as a fraction (0.05, not the notes' 5%): "
            "relative error",
            tasks=["regression"], formula=r"\frac{1}{m}\sum_i \frac{|\hat y_i - y_i|}{\max(|y_i|, \epsilon)}")
def mape(params: MAPEParams, info: DataInfo) -> Objective:
    return _objective(lambda out, y: ((out - y).abs() / y.abs().clamp_min(params.eps)).mean(), info)
