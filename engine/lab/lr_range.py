"""The learning-rate range test's reading: smooth the loss against the lr and suggest where it falls fastest."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from engine.lazy import numpy as np

BETA = 0.98  # fast.ai's smoothing for the range test
DIVERGED = 4.0  # the sweep is over once the smoothed loss exceeds this many times its best
SKIP_START = 10  # the first debiased points average only a handful of batches: too noisy to take a slope from


def smooth(values: Sequence[float], beta: float = BETA) -> list[float]:
    """Debiased EMA (avg = β·avg + (1−β)·y; shown = avg / (1 − β^n)), written as the page's curves write it
    (static/js/charts.js): shown += (1−β)/(1 − β^n) · (y − shown). The same numbers, except that a constant
    series comes back unchanged to the last digit, as TensorBoard returns it, instead of wobbling by ~1e-14."""
    shown, weight, out = 0.0, 0.0, []
    for y in values:
        weight = beta * weight + (1 - beta)
        shown += (1 - beta) / weight * (y - shown)
        out.append(shown)
    return out


def suggest(lrs: Sequence[float], losses: Sequence[float], beta: float = BETA) -> dict[str, Any]:
    """The "steepest descent" rule: the lr where the smoothed loss falls fastest against log lr, on the way down
    to its minimum (a spike and its decay beyond the minimum is not a descent), looking only up to where the loss
    blows up (smoothed loss > 4 × the best so far). Also the lr at the smoothed minimum / 10, the other common
    rule. Points from the first non-finite loss on are dropped: the run diverged there."""
    usable = [math.isfinite(y) and lr > 0 for lr, y in zip(lrs, losses, strict=True)]
    n = usable.index(False) if False in usable else len(usable)
    if n < 3:
        raise ValueError(f"need at least 3 finite points, got {n}")
    smoothed = smooth(losses[:n], beta)
    stop, best = n, math.inf
    for i, value in enumerate(smoothed):
        best = min(best, value)
        if best > 0 and value > DIVERGED * best:
            stop = max(i, 2)  # np.gradient needs two points
            break
    minimum = int(np.argmin(smoothed[:stop]))
    slope = np.gradient(np.asarray(smoothed[:stop]), np.log10(np.asarray(lrs[:stop], dtype=float)))
    window = slope[: minimum + 1]
    skip = min(SKIP_START, max(0, len(window) - 3))
    steepest = skip + int(np.argmin(window[skip:]))
    return {
        "suggested_lr": float(lrs[steepest]), "steepest_index": steepest, "smoothed": smoothed,
        "min_loss_lr": float(lrs[minimum]), "minimum_index": minimum, "alternative_lr": float(lrs[minimum]) / 10,
        "stop_index": stop, "rule": "steepest descent of the smoothed loss against log lr",
    }
