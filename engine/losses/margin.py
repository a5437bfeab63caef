"""Margin losses on labels ±1: hinge (SVM) and exponential (AdaBoost); one output for two classes.

With more classes each output scores one class against the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.losses import Objective, argmax_predict, losses, one_hot
from engine.registry import Params

_MARGIN = {
    "hinge": (lambda margin: torch.relu(1 - margin), "margin loss of the SVM: zero once y·z ≥ 1", r"\max(0, 1 - y z)"),
    "exponential": (lambda margin: torch.exp(-margin), "AdaBoost's loss: keeps pushing the margin y·z up",
                    r"e^{-y z}"),
}


def _margin_loss(penalty: Callable[[torch.Tensor], torch.Tensor]):
    def build(params: Params, info: DataInfo) -> Objective:
        fn = lambda out, signs: penalty(signs * out).mean()  # noqa: E731
        if info.n_classes == 2:
            return Objective(fn, 1, lambda y: y.float().unsqueeze(1) * 2 - 1, lambda out: (out[:, 0] > 0).long())
        return Objective(fn, info.n_classes, lambda y: one_hot(info.n_classes)(y) * 2 - 1, argmax_predict)

    return build


for _name, (_penalty, _text, _formula) in _MARGIN.items():
    losses.add(_name, description=_text + " (labels ±1)", tasks=["classification"], signed_labels=True,
                formula=_formula)(
        _margin_loss(_penalty)
    )
