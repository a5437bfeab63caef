"""Min/max bucket downsampling: a long curve keeps its shape, its extremes and its exact last point."""

from __future__ import annotations

import math
from typing import Sequence


def minmax_indices(values: Sequence[float | None], max_points: int) -> list[int]:
    """Indices to keep: first, last, and each bucket's min and max, in order; at most max_points + 2."""
    n = len(values)
    if n <= max_points:
        return list(range(n))
    buckets = max(1, (max_points - 2) // 2)
    keep = {0, n - 1}
    size = (n - 2) / buckets
    for b in range(buckets):
        start, stop = 1 + int(b * size), 1 + int((b + 1) * size)
        finite = [i for i in range(start, min(stop, n - 1)) if _finite(values[i])]
        if finite:
            keep.add(min(finite, key=lambda i: values[i]))
            keep.add(max(finite, key=lambda i: values[i]))
        elif start < n - 1:
            keep.add(start)  # a bucket of gaps stays a gap
    return sorted(keep)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def series(rows: list[dict], max_points: int) -> dict[str, dict[str, list]]:
    """Per metric: step, epoch, time and value arrays, each downsampled on its own values."""
    names = sorted({k for row in rows for k in row} - {"step", "epoch", "time"})
    result = {}
    for name in names:
        present = [row for row in rows if name in row]
        kept = [present[i] for i in minmax_indices([r[name] for r in present], max_points)]
        result[name] = {
            "step": [r["step"] for r in kept], "epoch": [r["epoch"] for r in kept],
            "time": [r["time"] for r in kept], "value": [r[name] for r in kept],
        }
    return result
