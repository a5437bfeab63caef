"""Validation: when the trainer validates, on which samples, and how the train side is read beside it.

Every run gets a guaranteed grid of at least 20 points (log-spaced early, so the first tenth holds at least 5;
always the first and last step), plus the extra points the time share allows (engine/cadence.py). When the
whole val split would cost more than that share, the grid reads a fixed random subset (the first n of the
seeded shuffle, the same samples every time); the last point always reads the whole split. Train is read like
val, at the same steps: eval mode, on a training sample of the same size, so the two can be compared.
"""

from __future__ import annotations

import bisect
import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from engine.cadence import Cadence
from engine.datasets import DataBundle
from engine.losses import Objective

MIN_POINTS = 20  # validation points a run always gets (or every logged point when it has fewer)
EARLY_POINTS = 5  # of them within the first tenth of the run: the fast early descent is where curves move
MIN_SUBSET = 256  # the smallest subset worth reading: below it the noise would hide what the curve shows
DECIDE_AFTER = 20  # training steps timed before the subset's size is fixed: the first few are slow (warm-up)
GROUPS = 8  # the sample is read in this many groups; their spread gives the standard error of the mean
CHUNK = 4096


def logged_steps(start: int, total: int, every: int) -> list[int]:
    """The steps the trainer logs: the first, every multiple of `every` after it, and the last."""
    first_multiple = (start // every + 1) * every
    return sorted({start, *range(first_multiple, total, every), total})


def grid(start: int, total: int, every: int) -> set[int]:
    """Logged steps that are always validated: all of them when there are few, else an even grid of
    MIN_POINTS over the run joined with a log-spaced one inside its first tenth."""
    logged = logged_steps(start, total, every)
    if len(logged) <= MIN_POINTS:
        return set(logged)
    span = total - start

    def nearest(target: float) -> int:
        i = bisect.bisect_left(logged, target)
        return min(logged[max(0, i - 1) : i + 1], key=lambda s: abs(s - target))

    chosen = {nearest(start + span * i / (MIN_POINTS - 1)) for i in range(MIN_POINTS)}
    early = [s for s in logged if s - start <= span / 10]
    if len(early) > EARLY_POINTS:
        low, high = early[1] - start, early[-1] - start
        chosen |= {nearest(start + low * (high / low) ** (i / EARLY_POINTS)) for i in range(EARLY_POINTS + 1)}
    # snapping can merge targets: fill from the earliest logged steps left out
    for s in early:
        if sum(1 for c in chosen if c - start <= span / 10) > EARLY_POINTS:
            break
        chosen.add(s)
    for s in logged:
        if len(chosen) >= MIN_POINTS:
            break
        chosen.add(s)
    return chosen


@dataclass
class Reading:
    """One side (train or val) of a validation point, read in eval mode."""

    loss: float
    loss_se: float | None  # standard error of `loss` from the spread of GROUPS sub-means (None if unknown)
    acc: float | None
    samples: int


@dataclass
class Point:
    step: int
    train: Reading
    val: Reading


@torch.no_grad()
def measure(model: nn.Module, objective: Objective, x: torch.Tensor, y_raw: torch.Tensor,
            spread: bool = True) -> Reading:
    """Loss (and accuracy) of `model` in eval mode on (x, y); with `spread`, the loss's standard error too."""
    was_training = model.training
    model.eval()
    out = torch.cat([model(x[i : i + CHUNK]) for i in range(0, len(x), CHUNK)])
    model.train(was_training)
    target = objective.prepare(y_raw)
    loss = objective.fn(out, target).item()
    se = None
    if spread and len(x) >= 4:
        parts = [objective.fn(o, t).item() for o, t in zip(out.tensor_split(min(GROUPS, len(x) // 2)),
                                                            target.tensor_split(min(GROUPS, len(x) // 2)),
                                                            strict=True)]
        parts = [p for p in parts if math.isfinite(p)]
        if len(parts) >= 2:
            mean = sum(parts) / len(parts)
            se = math.sqrt(sum((p - mean) ** 2 for p in parts) / (len(parts) - 1) / len(parts))
    acc = None
    if objective.predict is not None:
        acc = (objective.predict(out) == y_raw).float().mean().item()
    return Reading(loss, se, acc, len(x))


class Validation:
    """The trainer's validation: `due(step)` says when, `read(...)` measures and fills the metric values."""

    def __init__(self, data: DataBundle, objective: Objective, start: int, total: int, every: int, share: float):
        self.data, self.objective = data, objective
        self.start, self.total = start, total
        self.grid = grid(start, total, every)
        # the probes take a quarter of eval_share; 1 means at every logged step, whole split, whatever it costs.
        # Of validation's part, half prices the grid's sample size and half the extra points between.
        self.share = 1.0 if share >= 1.0 else share * 0.75
        self.cadence = Cadence(every, 1.0 if share >= 1.0 else self.share / 2)
        self.size: int | None = None  # the sample size, fixed at the first point with a timed step
        self.points: list[Point] = []
        self.untrained_loss: float | None = None  # the train loss an untrained model reads (the verdict's start)
        self.seconds = 0.0
        self._cost_per_sample = 0.0

    @property
    def n_val(self) -> int:
        return len(self.data.x_val)

    def due(self, step: int) -> bool:
        return step in self.grid or self.cadence.due(step)

    def _choose_size(self, step: int, step_seconds: float) -> int:
        """The largest sample (a power of two, at least MIN_SUBSET) with which the grid's remaining points fit
        what is left of the share, after the whole-split readings taken so far."""
        remaining = sum(1 for s in self.grid if s >= step) or 1
        budget = self.share / 2 * (self.total - self.start) * step_seconds - self.seconds
        affordable = budget / (remaining * max(self._cost_per_sample, 1e-12))
        if affordable >= self.n_val:
            return self.n_val
        return min(self.n_val, max(MIN_SUBSET, 2 ** int(math.log2(max(affordable, 1)))))

    def read(self, model: nn.Module, step: int, values: dict[str, float | None], step_seconds: float) -> float:
        """Val and train (eval mode, equal-size samples) into `values`; returns the val loss."""
        if self.size is None and step - self.start >= DECIDE_AFTER and step_seconds > 0 and self.share < 1.0:
            self.size = self._choose_size(step, step_seconds)
        whole = step == self.total or self.size is None
        n = self.n_val if whole else self.size
        began = time.perf_counter()
        val = measure(model, self.objective, self.data.x_val[:n], self.data.y_val[:n])
        n_train = min(n, len(self.data.x_train))
        train = measure(model, self.objective, self.data.x_train[:n_train], self.data.y_train[:n_train])
        spent = time.perf_counter() - began
        self.seconds += spent
        if whole:  # the latest whole reading prices the subset (the first one pays for warm-up)
            self._cost_per_sample = spent / (n + n_train)
        self.cadence.spent(spent, step_seconds)
        self.points.append(Point(step, train, val))
        values.update(val_loss=val.loss, train_eval_loss=train.loss, val_samples=n)
        if val.acc is not None:
            values.update(val_acc=val.acc, train_acc=train.acc)
        return val.loss

    def read_untrained(self, model: nn.Module) -> None:
        """For a run that starts from a checkpoint: the loss its architecture reads before any training, so the
        verdict measures progress from there and not from the checkpoint's."""
        n = min(self.n_val, len(self.data.x_train))
        self.untrained_loss = measure(model, self.objective, self.data.x_train[:n], self.data.y_train[:n]).loss

    def summary(self) -> dict[str, float | int | None]:
        """What the run's summary says of its validation: how many points, on how many samples, at what cost."""
        return {"val_points": len(self.points), "val_subset": self.size or self.n_val, "val_size": self.n_val,
                "validation_seconds": round(self.seconds, 3)}


def score_test_split(model: nn.Module, objective: Objective, data: DataBundle) -> dict[str, float | int]:
    """The test split read once, whole, in eval mode: test_loss (and test_acc); {} when there is none."""
    if not len(data.x_test):
        return {}
    test = measure(model, objective, data.x_test, data.y_test)
    if not math.isfinite(test.loss):
        return {}
    return {"test_loss": test.loss, **({"test_acc": test.acc} if test.acc is not None else {}),
            "test_samples": test.samples}
