"""The convexity map of a 2-D slice (Li et al. 2018): zero on a bowl, everywhere non-convex on a saddle, one
grid-local minimum per dip."""

from __future__ import annotations

import math

import pytest

from engine.lab.curvature import THRESHOLD, curvature


def grid(f, n=21, half=1.0):
    axis = [-half + 2 * half * i / (n - 1) for i in range(n)]
    return [[f(x, y) for x in axis] for y in axis], axis, axis


def test_a_bowl_is_convex_everywhere_with_one_minimum():
    loss, xs, ys = grid(lambda x, y: x**2 + 3 * y**2)
    found = curvature(loss, xs, ys)
    assert found["nonconvex_share"] == 0.0
    assert found["local_minima"] == 1
    assert found["ratio"][0][0] is None and found["ratio"][10][10] == 0.0  # border unknown, bowl convex


def test_a_saddle_is_non_convex_everywhere_with_the_eigenvalue_ratio():
    loss, xs, ys = grid(lambda x, y: x**2 - 0.5 * y**2)
    found = curvature(loss, xs, ys)
    assert found["nonconvex_share"] == 1.0
    assert found["local_minima"] == 0
    assert found["ratio"][10][10] == pytest.approx(0.5)  # Hessian diag(2, -1): |λmin/λmax| = 1/2


def test_weak_negative_curvature_stays_under_the_threshold():
    loss, xs, ys = grid(lambda x, y: x**2 - 0.05 * y**2)
    found = curvature(loss, xs, ys)
    assert found["ratio"][5][5] == pytest.approx(0.05) and 0.05 < THRESHOLD
    assert found["nonconvex_share"] == 0.0


def test_a_rugged_slice_has_many_minima_and_missing_points_are_skipped():
    loss, xs, ys = grid(lambda x, y: x**2 + y**2 + 0.3 * (2 - math.cos(12 * x) - math.cos(12 * y)), n=41)
    loss[3][3] = None  # a diverged point
    found = curvature(loss, xs, ys)
    assert found["local_minima"] >= 9
    assert 0.2 < found["nonconvex_share"] < 0.9
    assert found["ratio"][3][4] is None and found["ratio"][2][2] is None  # next to the missing point
