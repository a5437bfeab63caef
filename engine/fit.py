"""The fit verdict (over-fitting, under-fitting, good fit) from a run's validation points.

Like is compared with like: each point holds train and val read at the same step, in eval mode, on samples
of the same size (engine/validation.py). The verdict looks at a trailing window, not one reading, and its
margins grow with the noise of the estimate:
- over-fitting: the val loss has risen off an earlier minimum (by more than its step-to-step noise and 10%)
  while the train loss kept falling, or val sits above train by more than three standard errors of the
  gap and a quarter of the ground training has covered (and, with accuracies, the accuracy gap agrees);
- under-fitting: the train loss has not come down to half of the untrained model's;
- a good fit otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from engine.validation import Point

RISE = 0.1  # the val loss must climb at least this fraction above its minimum to count as rising
GAP_OF_PROGRESS = 0.25  # a gap smaller than this share of the training loss's fall is not called over-fitting
ACC_GAP = 0.05  # nor is an accuracy gap under 5 points, however precisely it is measured
Z = 3.0  # standard errors a gap must exceed


def count(n: int) -> str:
    """An integer as the pages write it: groups of three digits split by a space (12 000)."""
    return f"{n:,}".replace(",", " ")


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _step_noise(values: Sequence[float]) -> float:
    """Point-to-point noise of a series (the spread of its first differences / √2): a trend does not count."""
    if len(values) < 3:
        return 0.0
    diffs = [b - a for a, b in zip(values, values[1:], strict=False)]
    mean = _mean(diffs)
    return math.sqrt(sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1) / 2)


def _acc_se(acc: float, n: int) -> float:
    return math.sqrt(max(acc * (1 - acc), 1 / n) / n)


def diagnose(points: Sequence[Point], untrained: float | None = None) -> dict[str, Any] | None:
    """The verdict on a run so far, or None before three validation points: {kind: over | under | good,
    label, reason, facts, step, window}. `untrained` is the train loss before any training, for a run that
    starts from a checkpoint (else its first point is that)."""
    points = [p for p in points if math.isfinite(p.train.loss) and math.isfinite(p.val.loss)]
    if len(points) < 3:
        return None
    window = points[-max(3, math.ceil(len(points) / 5)):]
    earlier = points[: len(points) - len(window)]
    last = points[-1]
    train_end = _mean([p.train.loss for p in window])
    val_end = _mean([p.val.loss for p in window])
    train_start = untrained if untrained is not None else points[0].train.loss
    gap = val_end - train_end
    noise = math.hypot(last.train.loss_se or 0.0, last.val.loss_se or 0.0)
    accs = last.train.acc is not None and last.val.acc is not None
    acc_gap = _mean([p.train.acc - p.val.acc for p in window]) if accs else None

    facts = [f"train loss {train_end:.3g}", f"val loss {val_end:.3g}"]
    if accs:
        facts.append(f"accuracy {100 * _mean([p.train.acc for p in window]):.1f}% train, "
                     f"{100 * _mean([p.val.acc for p in window]):.1f}% val")
    sizes = sorted({p.val.samples for p in window})
    samples = count(sizes[0]) if len(sizes) == 1 else f"{count(sizes[0])}–{count(sizes[-1])}"
    facts.append(f"eval mode, {samples} samples each, mean of the last {len(window)} points")
    verdict = {"step": last.step, "window": len(window), "facts": facts}

    # rising: the val loss's trailing mean against the lowest 3-point mean before the window
    if len(earlier) >= 3:
        smoothed = [_mean([p.val.loss for p in earlier[i : i + 3]]) for i in range(len(earlier) - 2)]
        best = min(range(len(smoothed)), key=smoothed.__getitem__)
        val_min, at = smoothed[best], earlier[best + 1]
        margin = max(RISE * abs(val_min), Z * _step_noise([p.val.loss for p in points]))
        # the train loss kept falling, or stayed within its own noise (both rising is instability, not memory)
        steady = max(RISE * abs(at.train.loss), Z * _step_noise([p.train.loss for p in points]))
        if val_end - val_min > margin and train_end <= at.train.loss + steady:
            return {**verdict, "kind": "over", "label": "over-fitting",
                    "reason": f"val loss {100 * (val_end / val_min - 1):+.0f}% above its minimum near step "
                    f"{count(at.step)} while the train loss kept falling: stop earlier, regularize or add data"}
    progress = train_start - train_end
    loss_gap = gap > max(Z * noise, GAP_OF_PROGRESS * progress)
    acc_agrees = acc_gap is None or acc_gap > max(ACC_GAP, Z * math.hypot(
        _acc_se(last.train.acc, last.train.samples), _acc_se(last.val.acc, last.val.samples)))
    if loss_gap and acc_agrees:
        return {**verdict, "kind": "over", "label": "over-fitting",
                "reason": f"val loss {gap:.3g} above train, beyond the noise (±{noise:.2g}): the model fits "
                "the training samples better than unseen ones"}
    if train_end > 0.5 * train_start:
        return {**verdict, "kind": "under", "label": "under-fitting",
                "reason": "the train loss is still above half of the untrained model's: a bigger model, "
                "a better lr or more steps"}
    still = " (val loss still falling)" if val_end < _mean([p.val.loss for p in earlier[-len(window):]] or
                                                           [math.inf]) else ""
    return {**verdict, "kind": "good", "label": "good fit",
            "reason": f"train and validation agree within the noise{still}"}
