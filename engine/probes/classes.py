"""How a classifier errs: the confusion matrix on the validation split and a grid of test samples with predictions."""

from __future__ import annotations

from pydantic import Field

from engine.lazy import torch
from engine.probes import ProbeContext, ProbeParams, probes
from engine.probes.common import evaluating
from engine.probes.png import atlas, round_sig

CHUNK = 4096


class ConfusionParams(ProbeParams):
    max_samples: int = Field(10_000, ge=10, le=1_000_000, description="validation samples counted (the first ones)")


class SampleGridParams(ProbeParams):
    count: int = Field(16, ge=1, le=64, description="test samples shown")


def _classification(info) -> bool:
    return info.task == "classification"


def _scores(model, ctx: ProbeContext, x: torch.Tensor) -> torch.Tensor | None:
    """Class scores of `x` in eval mode, in chunks; None when the loss has no class prediction (triplet)."""
    if ctx.objective.predict is None:
        return None
    with evaluating(model):
        return torch.cat([model(x[i : i + CHUNK]) for i in range(0, len(x), CHUNK)])


@probes.add(
    "confusion_matrix", ConfusionParams, "validation confusion matrix: rows are true classes, columns predicted",
    applies=_classification, default=True, formula=r"C_{ij} = \#\{y = i,\ \hat y = j\}",
)
def confusion_matrix(params: ConfusionParams, ctx: ProbeContext):
    n = ctx.data.info.n_classes
    x, y = ctx.data.x_val[: params.max_samples], ctx.data.y_val[: params.max_samples]
    names = list(ctx.data.info.class_names) or [str(k) for k in range(n)]

    def read(model, step: int):
        out = _scores(model, ctx, x)
        if out is None:
            return None
        predicted = ctx.objective.predict(out).long().clamp(0, n - 1)
        # flattened: with a label per step (sequence tagging) every position is counted
        matrix = torch.bincount((y.long() * n + predicted).flatten(), minlength=n * n).reshape(n, n)
        return {"classes": names, "matrix": matrix.tolist(), "samples": len(y)}

    return read


@probes.add(
    "test_samples", SampleGridParams, "a grid of test samples with the predicted class and its probability",
    applies=lambda info: _classification(info) and info.kind in ("image", "signal"), default=True,
    formula=r"\hat y = \arg\max_k p_k(x),\ p = \mathrm{softmax}(f(x))",
)
def test_samples(params: SampleGridParams, ctx: ProbeContext):
    data = ctx.data
    # the test split may be empty (test_fraction 0); then the samples come from validation
    x, y = (data.x_test, data.y_test) if len(data.x_test) else (data.x_val, data.y_val)
    x, y = x[: params.count], y[: params.count]
    names = list(data.info.class_names) or [str(k) for k in range(data.info.n_classes)]
    raw = x * data.std + data.mean
    if data.info.kind == "image":
        samples = {"kind": "image", **atlas(raw.mean(1))}  # channels averaged: a small gray picture each
    else:
        samples = {"kind": "signal", "values": [[round_sig(v, 3) for v in s[0].tolist()] for s in raw]}
    samples.update(classes=names, labels=y.tolist())
    sent = False

    def read(model, step: int):
        nonlocal sent
        out = _scores(model, ctx, x)
        if out is None:
            return None
        predicted = ctx.objective.predict(out).long()
        probabilities = torch.softmax(out, 1) if out.shape[1] > 1 else torch.sigmoid(out)
        confidence = probabilities.gather(1, predicted.clamp(max=out.shape[1] - 1)[:, None])[:, 0]
        if out.shape[1] == 1:  # one logit: the predicted class's probability is p or 1 − p
            confidence = torch.where(predicted == 1, confidence, 1 - confidence)
        reading = {"predicted": predicted.tolist(), "confidence": [round(v, 3) for v in confidence.tolist()]}
        if not sent:
            reading["samples"], sent = samples, True
        return reading

    return read
