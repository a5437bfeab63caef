"""Gradient check (EXP-4): centred differences (J(θ+ε) − J(θ−ε)) / 2ε against backprop, in float64, per tensor."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from engine import datasets
from engine.config import RunConfig, resolve
from engine.losses import losses
from engine.regularizers import regularizers

log = logging.getLogger(__name__)
THRESHOLD = 1e-6  # the max relative error a correct float64 backward stays under
NOISE_MARGIN = 10.0  # headroom over one unit of float64 roundoff in J
MAX_BATCH = 32


def noise_floor(loss: float, eps: float) -> float:
    """The smallest |a| + |b| on which a relative error of THRESHOLD can be resolved: J(θ±ε) carry float64
    roundoff of about u·|J|, so their difference over 2ε is only good to about u·|J|/ε. Gradients smaller than
    this are judged by absolute error instead (a dead unit's weight, a far-off bias), never by noise."""
    roundoff = NOISE_MARGIN * torch.finfo(torch.float64).eps * max(abs(loss), 1.0) / eps
    return roundoff / THRESHOLD


def relative_error(analytic: float, numeric: float, floor: float) -> float:
    """|a − b| / max(|a| + |b|, floor)."""
    return abs(analytic - numeric) / max(abs(analytic) + abs(numeric), floor)


def check_gradients(
    loss_fn: Callable[[], torch.Tensor], named: list[tuple[str, nn.Parameter]], eps: float = 1e-6,
    samples_per_tensor: int = 20, seed: int = 0, budget_s: float | None = None,
) -> dict[str, Any]:
    """Compare backprop with centred differences on up to `samples_per_tensor` seeded coordinates per tensor.
    Past `budget_s` seconds each remaining tensor gets one coordinate, so a big network still answers soon."""
    deadline = math.inf if budget_s is None else time.monotonic() + budget_s
    for _, p in named:
        p.grad = None
    loss = loss_fn()
    loss.backward()
    floor = noise_floor(loss.item(), eps)
    analytic = {name: (p.grad if p.grad is not None else torch.zeros_like(p)).detach().clone() for name, p in named}
    generator = torch.Generator().manual_seed(seed)
    tensors = []
    with torch.no_grad():
        for name, p in named:
            flat, grad = p.data.view(-1), analytic[name].view(-1)
            wanted = samples_per_tensor if time.monotonic() < deadline else 1
            chosen = torch.randperm(flat.numel(), generator=generator)[:wanted].tolist()
            worst = 0.0
            for i in chosen:
                original = flat[i].item()
                flat[i] = original + eps
                plus = loss_fn().item()
                flat[i] = original - eps
                minus = loss_fn().item()
                flat[i] = original
                error = relative_error(grad[i].item(), (plus - minus) / (2 * eps), floor)
                worst = max(worst, error if math.isfinite(error) else math.inf)
            tensors.append({"name": name, "shape": list(p.shape), "max_relative_error": worst, "checked": len(chosen)})
    overall = max((t["max_relative_error"] for t in tensors), default=0.0)
    return {"tensors": tensors, "max_relative_error": overall, "ok": overall < THRESHOLD,
            "eps": eps, "threshold": THRESHOLD, "floor": floor}


def gradient_check(
    config: RunConfig, eps: float = 1e-6, samples_per_tensor: int = 20, model: nn.Module | None = None,
    budget_s: float | None = None,
) -> dict[str, Any]:
    """Build the run's model, data and loss as the trainer does, cast to float64, and check every parameter tensor
    on a fixed batch (the first ≤ 32 training samples) in eval mode, so dropout is off and batch norm is frozen.
    `model` replaces the built one (a test slips a broken layer in this way)."""
    from engine.trainer import build_model  # the trainer owns how a model is assembled

    plan = resolve(config)
    seed = config.train.seed
    torch.manual_seed(seed)
    data = datasets.load(plan.names["dataset"], plan.params["dataset"], seed)
    objective = losses[plan.names["loss"]].build(plan.params["loss"], plan.info)
    model = (model if model is not None else build_model(plan, objective)).double().eval()
    penalty = None
    if "regularization" in plan.names:
        penalty = regularizers[plan.names["regularization"]].build(plan.params["regularization"])

    n = min(len(data.x_train), plan.batch_size, MAX_BATCH)
    x, y = data.x_train[:n], objective.prepare(data.y_train[:n])
    x = x.double() if x.is_floating_point() else x
    y = y.double() if y.is_floating_point() else y

    def loss_fn() -> torch.Tensor:
        loss = objective.fn(model(x), y)
        return loss + penalty(model) if penalty is not None else loss

    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    report = check_gradients(loss_fn, named, eps, samples_per_tensor, seed, budget_s)
    log.info("gradient check of %s: max relative error %.3g", plan.names["model"], report["max_relative_error"])
    return {**report, "batch": n}
