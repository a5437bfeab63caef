"""How convex a 2-D loss slice is, read off the grid itself (Li et al. 2018, section 6 and figure 7).

At each interior grid point the 2×2 Hessian of the slice comes from central differences; the ratio
|λ_min / λ_max| of its eigenvalues is near 0 where the slice is convex (or flat along one axis) and large where it
curves down as strongly as up. The paper maps that ratio to show ResNets' convex basins and the chaotic, non-convex
slices of the same nets without skip connections; here its share above a threshold and the count of grid-local
minima summarise the map in two numbers.
"""

from __future__ import annotations

import math

import torch

THRESHOLD = 0.1  # |λmin/λmax| above this, with λmin < 0: markedly non-convex


def curvature(loss: list[list[float | None]], xs: list[float], ys: list[float]) -> dict:
    """{"ratio": |λmin/λmax| per grid point where λmin < 0, 0 where the slice is convex there, None on the
    border and next to missing (non-finite) points,
    "nonconvex_share": the share of interior points with λmin < 0 and ratio > THRESHOLD,
    "local_minima": interior points lower than all 8 neighbours, "threshold": THRESHOLD}."""
    grid = torch.tensor([[math.nan if v is None else v for v in row] for row in loss], dtype=torch.float64)
    rows, cols = grid.shape
    empty = {"ratio": [[None] * cols for _ in range(rows)], "nonconvex_share": None, "local_minima": 0,
             "threshold": THRESHOLD}
    if rows < 3 or cols < 3:
        return empty
    hx, hy = (xs[-1] - xs[0]) / (cols - 1), (ys[-1] - ys[0]) / (rows - 1)
    centre = grid[1:-1, 1:-1]
    fxx = (grid[1:-1, 2:] - 2 * centre + grid[1:-1, :-2]) / hx**2
    fyy = (grid[2:, 1:-1] - 2 * centre + grid[:-2, 1:-1]) / hy**2
    fxy = (grid[2:, 2:] - grid[2:, :-2] - grid[:-2, 2:] + grid[:-2, :-2]) / (4 * hx * hy)
    half_trace = (fxx + fyy) / 2
    root = torch.sqrt(torch.clamp(half_trace**2 - (fxx * fyy - fxy**2), min=0))
    low, high = half_trace - root, half_trace + root
    ratio = (low / torch.maximum(low.abs(), high.abs()).clamp_min(1e-300)).abs()
    known = ~torch.isnan(ratio)
    nonconvex = known & (low < 0) & (ratio > THRESHOLD)

    lowest = torch.ones_like(centre, dtype=torch.bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                lowest &= centre < grid[1 + dy : rows - 1 + dy, 1 + dx : cols - 1 + dx]

    shown = torch.where(low < 0, ratio, torch.zeros_like(ratio)).masked_fill(~known, math.nan)
    out = [[None] * cols for _ in range(rows)]
    for j, row in enumerate(shown.tolist(), start=1):
        for i, value in enumerate(row, start=1):
            out[j][i] = None if math.isnan(value) else value
    share = float(nonconvex.sum()) / max(1, int(known.sum()))
    return {"ratio": out, "nonconvex_share": share if known.any() else None, "local_minima": int(lowest.sum()),
            "threshold": THRESHOLD}
