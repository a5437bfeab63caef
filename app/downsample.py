"""Min/max bucket downsampling: a long curve keeps its shape, its extremes and its exact last point."""

from __future__ import annotations

from collections.abc import Sequence

from engine.lazy import numpy as np


def minmax_indices(values: Sequence[float | None] | np.ndarray, max_points: int) -> list[int]:
    """Indices to keep: first, last, and each bucket's min and max, in order; at most max_points + 2."""
    v = np.asarray([np.nan if x is None else x for x in values] if not isinstance(values, np.ndarray) else values,
                   dtype=np.float64)
    n = len(v)
    if n <= max_points:
        return list(range(n))
    buckets = max(1, (max_points - 2) // 2)
    size = (n - 2) // buckets
    inner = v[1 : 1 + buckets * size].reshape(buckets, size)
    finite = np.isfinite(inner)
    starts = 1 + np.arange(buckets) * size
    low = np.where(finite, inner, np.inf).argmin(axis=1)
    high = np.where(finite, inner, -np.inf).argmax(axis=1)
    # a bucket of gaps keeps one point, so the gap still shows
    empty = ~finite.any(axis=1)
    keep = {0, n - 1, *(starts + low)[~empty], *(starts + high)[~empty], *starts[empty]}
    tail = np.arange(1 + buckets * size, n - 1)
    if len(tail):
        t = v[tail]
        if np.isfinite(t).any():
            keep |= {int(tail[np.nanargmin(t)]), int(tail[np.nanargmax(t)])}
    return sorted(int(i) for i in keep)
