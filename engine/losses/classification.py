"""Classification losses: cross-entropy (softmax inside) and binary cross-entropy (sigmoid inside)."""

from __future__ import annotations

import functools

from pydantic import Field

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.losses import Objective, argmax_predict, losses, one_hot
from engine.registry import Params

CLASSIFICATION = ["classification"]


class CrossEntropyParams(Params):
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0)


@losses.add(
    "cross_entropy", CrossEntropyParams, "softmax + negative log-likelihood; the last layer has no activation",
    tasks=CLASSIFICATION, squashes="softmax", formula=r"-\sum_k y_k \log \frac{e^{z_k}}{\sum_j e^{z_j}}",
)
def cross_entropy(params: CrossEntropyParams, info: DataInfo) -> Objective:
    F = torch.nn.functional
    fn = functools.partial(F.cross_entropy, label_smoothing=params.label_smoothing)
    each = functools.partial(F.cross_entropy, label_smoothing=params.label_smoothing, reduction="none")
    return Objective(fn, info.n_classes, lambda y: y, argmax_predict, each)


@losses.add(
    "bce", description="logistic loss: sigmoid + binary cross-entropy (one output for two classes, "
    "one-vs-rest for more)", tasks=CLASSIFICATION, squashes="sigmoid",
    formula=r"-[y\log\sigma(z)+(1-y)\log(1-\sigma(z))]",
)
def bce(params: Params, info: DataInfo) -> Objective:
    # note: the logits form is the numerically stable way to write sigmoid followed by BCE
    F = torch.nn.functional
    fn = F.binary_cross_entropy_with_logits
    each = functools.partial(F.binary_cross_entropy_with_logits, reduction="none")
    if info.n_classes == 2:
        return Objective(fn, 1, lambda y: y.float().unsqueeze(1), lambda out: (out[:, 0] > 0).long(), each)
    return Objective(fn, info.n_classes, one_hot(info.n_classes), argmax_predict, each)


@losses.add(
    "nll", description="negative log-likelihood on log-softmax outputs (log-softmax sits inside the loss)",
    tasks=CLASSIFICATION, squashes="softmax", formula=r"-\log p_y,\quad \log p = \mathrm{log\_softmax}(z)",
)
def nll(params: Params, info: DataInfo) -> Objective:
    F = torch.nn.functional
    fn = lambda out, y: F.nll_loss(F.log_softmax(out, dim=-1), y)  # noqa: E731
    return Objective(fn, info.n_classes, lambda y: y, argmax_predict)


class KLParams(Params):
    label_smoothing: float = Field(
        0.1, ge=0.0, lt=1.0, description="target mass spread over all classes; 0 makes KL equal cross-entropy"
    )


@losses.add(
    "kl_div", KLParams, "KL divergence from the (smoothed) label distribution to the softmax output",
    tasks=CLASSIFICATION, squashes="softmax", formula=r"\sum_k q_k \log\frac{q_k}{p_k} = H(q, p) - H(q)",
)
def kl_div(params: KLParams, info: DataInfo) -> Objective:
    F = torch.nn.functional
    k, eps = info.n_classes, params.label_smoothing
    target = lambda y: one_hot(k)(y) * (1 - eps) + eps / k  # noqa: E731
    fn = lambda out, q: F.kl_div(F.log_softmax(out, dim=-1), q, reduction="batchmean")  # noqa: E731
    return Objective(fn, k, target, argmax_predict)
