"""When to do the costly readings (validation, probes): every `base` steps, widened so that they stay
under a share of the training time. The trainer's overhead then stays small whatever the data set size."""

from __future__ import annotations

import math


class Cadence:
    def __init__(self, base: int, share: float):
        self.base, self.share, self.every = base, share, base
        self._pending = 0.0  # seconds of work measured before the step time was known

    def due(self, step: int) -> bool:
        return step % self.every == 0

    def spent(self, seconds: float, step_seconds: float) -> None:
        """Record one reading's cost; `step_seconds` is the mean time of a training step so far (0 = unknown).
        The interval only ever widens, in multiples of `base`, so readings stay on a regular grid."""
        self._pending = max(self._pending, seconds)
        if step_seconds <= 0 or self.share >= 1.0:
            return
        needed = self._pending / (self.share * step_seconds)
        self.every = max(self.every, self.base * math.ceil(needed / self.base))
        self._pending = 0.0
