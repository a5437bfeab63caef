"""2-D test functions for watching optimizers: each is torch code (gradients come from autograd) with its formula,
a view box, a start point and learning rates that show the classic pictures, and its known minima."""

from __future__ import annotations

import math
from collections.abc import Callable

from engine.lazy import torch
from engine.registry import Registry

surfaces = Registry("surface")

Surface = Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"]  # elementwise f(x, y); x and y broadcast


def _add(name: str, description: str, formula: str, box: tuple[tuple[float, float], tuple[float, float]],
         start: tuple[float, float], minima: list[tuple[float, float]], lrs: dict[str, float], steps: int = 200,
         log_z: bool = False, saddles: list[tuple[float, float]] | None = None):
    """Register a surface; `lrs` are per-optimizer learning rates chosen so the default picture tells its story
    (the optimizers named there are the ones ticked by default)."""
    return surfaces.add(
        name, description=description, formula=formula, box={"x": list(box[0]), "y": list(box[1])},
        start=list(start), minima=[list(m) for m in minima], saddles=[list(s) for s in saddles or []],
        lrs=lrs, steps=steps, log_z=log_z,
    )


@_add("ravine", "an ill-conditioned bowl (condition number 25): GD zig-zags across, momentum overshoots along",
      r"f(x, y) = \tfrac12 (x^2 + 25 y^2)", ((-6.0, 6.0), (-3.0, 3.0)), (-5.0, 2.0), [(0.0, 0.0)],
      {"sgd": 0.075, "momentum": 0.03, "adam": 0.3}, steps=100)
def ravine(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 0.5 * (x**2 + 25 * y**2)


@_add("saddle", "a saddle point at the origin: plain GD crawls near it, adaptive steps escape quickly",
      r"f(x, y) = x^2 - y^2", ((-2.0, 2.0), (-2.0, 2.0)), (-1.8, 0.001), [],
      {"sgd": 0.01, "momentum": 0.01, "adam": 0.05}, steps=200, saddles=[(0.0, 0.0)])
def saddle(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return x**2 - y**2


@_add("rosenbrock", "a long curved valley: easy to reach, slow to follow to the minimum at (1, 1)",
      r"f(x, y) = (1 - x)^2 + 100 (y - x^2)^2", ((-2.0, 2.0), (-1.0, 3.0)), (-1.5, 2.5), [(1.0, 1.0)],
      {"sgd": 0.001, "momentum": 0.001, "adam": 0.05}, steps=1000, log_z=True)
def rosenbrock(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


@_add("beale", "flat plateaus and steep walls; one minimum at (3, 0.5)",
      r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
      ((-4.5, 4.5), (-4.5, 4.5)), (1.0, 1.4), [(3.0, 0.5)],
      {"sgd": 0.01, "momentum": 0.002, "adam": 0.05}, steps=800, log_z=True)
def beale(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


@_add("himmelblau", "four equal minima: where you end up depends on where you start",
      r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2", ((-5.0, 5.0), (-5.0, 5.0)), (-0.2, -0.9),
      [(3.0, 2.0), (-2.805118086952745, 3.131312518250573), (-3.779310253377747, -3.2831859912861696),
       (3.5844283403304917, -1.8481265269644034)],
      {"sgd": 0.01, "momentum": 0.002, "adam": 0.1}, steps=300, log_z=True)
def himmelblau(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


@_add("rastrigin", "a bowl covered in local minima: small steps get caught, only the centre (0, 0) is global",
      r"f(x, y) = 20 + x^2 - 10\cos 2\pi x + y^2 - 10\cos 2\pi y", ((-5.12, 5.12), (-5.12, 5.12)), (3.1, 2.2),
      [(0.0, 0.0)], {"sgd": 0.002, "momentum": 0.01, "adam": 1.0}, steps=300)
def rastrigin(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 20 + x**2 - 10 * torch.cos(2 * math.pi * x) + y**2 - 10 * torch.cos(2 * math.pi * y)


def describe(name: str) -> dict:
    """What a client needs to draw and start a surface (no callables)."""
    entry = surfaces[name]
    return {"name": entry.name, "description": entry.description, **entry.meta}


def grid(name: str, n: int = 80, log_z: bool | None = None) -> dict:
    """f on an n×n grid over the surface's box (z[i][j] at y[i], x[j], as Plotly's contour wants it).
    log_z shows log10(1 + f − min f), which brings out the valley floors of Rosenbrock and Beale."""
    entry = surfaces[name]
    box = entry.meta["box"]
    log_z = entry.meta["log_z"] if log_z is None else log_z
    xs = torch.linspace(*box["x"], n, dtype=torch.float64)
    ys = torch.linspace(*box["y"], n, dtype=torch.float64)
    z = entry.build(xs[None, :], ys[:, None])
    if log_z:
        z = torch.log10(1 + z - z.min())
    return {"name": name, "x": xs.tolist(), "y": ys.tolist(), "z": z.tolist(), "log_z": log_z}
