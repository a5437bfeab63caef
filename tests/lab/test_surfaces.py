"""Every test surface: its listed minima are minima, its autograd gradient is the true gradient, its grid draws."""

from __future__ import annotations

import math

import pytest
import torch

from engine.lab.surfaces import describe, grid, surfaces

NAMES = surfaces.names()


def value(name: str, point) -> float:
    x, y = (torch.tensor(c, dtype=torch.float64) for c in point)
    return surfaces[name].build(x, y).item()


def gradient(name: str, point) -> torch.Tensor:
    p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    surfaces[name].build(p[0], p[1]).backward()
    return p.grad


def ring(point, radius: float, n: int = 16):
    return [(point[0] + radius * math.cos(2 * math.pi * k / n), point[1] + radius * math.sin(2 * math.pi * k / n))
            for k in range(n)]


def test_the_catalogued_surfaces_are_there():
    assert {"ravine", "saddle", "rosenbrock", "beale", "himmelblau", "rastrigin"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_listed_minima_are_minima(name):
    meta = surfaces[name].meta
    for minimum in meta["minima"]:
        assert gradient(name, minimum).norm().item() < 1e-6, minimum
        here = value(name, minimum)
        for radius in (1e-3, 1e-2):
            assert all(value(name, p) > here for p in ring(minimum, radius)), (minimum, radius)
    for saddle in meta["saddles"]:  # flat, but lower on some side and higher on another
        assert gradient(name, saddle).norm().item() < 1e-9
        around = [value(name, p) for p in ring(saddle, 1e-2)]
        assert min(around) < value(name, saddle) < max(around)


@pytest.mark.parametrize("name", NAMES)
def test_autograd_gradient_matches_finite_differences(name):
    generator = torch.Generator().manual_seed(0)
    box = surfaces[name].meta["box"]
    h = 1e-6
    for _ in range(25):
        u = torch.rand(2, generator=generator, dtype=torch.float64)
        x = box["x"][0] + u[0].item() * (box["x"][1] - box["x"][0])
        y = box["y"][0] + u[1].item() * (box["y"][1] - box["y"][0])
        numeric = torch.tensor([(value(name, (x + h, y)) - value(name, (x - h, y))) / (2 * h),
                                (value(name, (x, y + h)) - value(name, (x, y - h))) / (2 * h)], dtype=torch.float64)
        scale = max(1.0, abs(value(name, (x, y)))) * 1e-8 / h  # float64 roundoff of f over 2h
        assert torch.allclose(gradient(name, (x, y)), numeric, rtol=1e-6, atol=scale), (x, y)


def test_rosenbrock_gradient_by_hand():
    x, y = 0.3, -0.7
    by_hand = [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]
    assert gradient("rosenbrock", (x, y)).tolist() == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_description_and_grid(name):
    info = describe(name)
    box = info["box"]
    inside = lambda p: box["x"][0] <= p[0] <= box["x"][1] and box["y"][0] <= p[1] <= box["y"][1]  # noqa: E731
    assert info["formula"] and inside(info["start"]) and all(inside(m) for m in info["minima"])
    assert info["lrs"] and 1 <= info["steps"] <= 5000
    drawn = grid(name, 30)
    assert len(drawn["x"]) == len(drawn["y"]) == len(drawn["z"]) == 30 and all(len(row) == 30 for row in drawn["z"])
    assert all(math.isfinite(v) for row in drawn["z"] for v in row)
    assert drawn["z"][3][7] == pytest.approx(
        math.log10(1 + value(name, (drawn["x"][7], drawn["y"][3])) - min(map(min, grid(name, 30, False)["z"])))
        if drawn["log_z"] else value(name, (drawn["x"][7], drawn["y"][3])))
