"""Optimizer paths: the registry's optimizers on 2-D surfaces, the classic pictures, divergence, and the API."""

from __future__ import annotations

import math

import pytest
import torch

from engine.lab.paths import PathRequest, optimizer_path, run_paths
from engine.lab.surfaces import surfaces
from engine.optimizers import optimizers


def path(surface: str, name: str, steps: int, start=None, **params):
    start = start or surfaces[surface].meta["start"]
    return optimizer_path(surface, tuple(start), name, optimizers[name].params(**params), steps)


def test_sgd_with_a_small_lr_converges_to_the_bottom_of_the_ravine():
    result = path("ravine", "sgd", 1000, lr=0.02)
    assert not result.diverged and len(result.path) == len(result.loss) == 1001
    assert math.hypot(*result.path[-1]) < 1e-3
    assert result.loss[-1] < 1e-6 < result.loss[0]
    assert all(b <= a for a, b in zip(result.loss, result.loss[1:], strict=False))  # small lr: f never rises


def test_the_default_ravine_picture_momentum_overshoots_and_sgd_zigzags():
    sgd, momentum = run_paths(PathRequest(surface="ravine", optimizers=[
        {"name": "sgd", "params": {"lr": 0.075}}, {"name": "momentum", "params": {"lr": 0.03}}]))
    xs = [p[0] for p in momentum.path]
    assert xs[0] < 0 and max(xs) > 1.0  # heavy ball rolls past the minimum along the flat direction
    assert max(p[0] for p in sgd.path) <= 0  # plain GD creeps along x without passing 0...
    ys = [p[1] for p in sgd.path[:20]]
    assert sum(1 for a, b in zip(ys, ys[1:], strict=False) if a * b < 0) >= 15  # ...while bouncing across the ravine


def test_at_the_saddle_sgd_lingers_while_adam_escapes():
    sgd, adam = run_paths(PathRequest(surface="saddle", optimizers=[
        {"name": "sgd", "params": {"lr": 0.01}}, {"name": "adam", "params": {"lr": 0.05}}]))
    assert math.hypot(*sgd.path[-1]) < 0.2
    assert abs(adam.path[-1][1]) > 1.5


def test_a_diverging_path_ends_cleanly():
    result = path("ravine", "sgd", 500, lr=1.0)  # |1 − 25·lr| > 1 along y: every step grows
    assert result.diverged and len(result.path) < 501
    assert all(math.isfinite(v) for p in result.path for v in p) and all(math.isfinite(v) for v in result.loss)


def test_lbfgs_steps_with_a_closure():
    result = path("rosenbrock", "lbfgs", 30)
    assert math.dist(result.path[-1], (1.0, 1.0)) < 1e-4


@pytest.mark.parametrize("name", optimizers.names())
def test_every_optimizer_runs_on_every_surface_without_error(name):
    for surface in surfaces.names():
        result = path(surface, name, 20, lr=1e-3)
        assert len(result.path) == len(result.loss) and result.path[0] == surfaces[surface].meta["start"]


# ---- API ---------------------------------------------------------------------------------------------------


def test_api_lists_surfaces_and_grids(client):
    listed = client.get("/api/lab/surfaces").json()
    rosenbrock = next(s for s in listed if s["name"] == "rosenbrock")
    assert rosenbrock["minima"] == [[1.0, 1.0]] and rosenbrock["log_z"] and "formula" in rosenbrock
    drawn = client.get("/api/lab/surfaces/rosenbrock/grid?n=40").json()
    assert len(drawn["z"]) == 40 and drawn["log_z"] is True
    assert client.get("/api/lab/surfaces/rosenbrock/grid?n=40&log_z=false").json()["log_z"] is False
    assert client.get("/api/lab/surfaces/nope/grid").status_code == 404
    assert client.get("/api/lab/surfaces/ravine/grid?n=5000").status_code == 422


def test_api_returns_one_path_per_optimizer(client):
    body = {"surface": "ravine", "start": [-4, 1], "steps": 60,
            "optimizers": [{"name": "sgd", "params": {"lr": 0.02}}, {"name": "adam", "params": {"lr": 0.1}}]}
    response = client.post("/api/lab/paths", json=body)
    assert response.status_code == 200
    sgd, adam = response.json()
    assert (sgd["name"], adam["name"]) == ("sgd", "adam") and adam["params"]["lr"] == 0.1
    assert sgd["path"][0] == [-4, 1] and len(sgd["path"]) == len(sgd["loss"]) == 61 and sgd["diverged"] is False
    assert sgd["path"] != adam["path"]
    default = client.post("/api/lab/paths", json={"surface": "beale", "optimizers": [{"name": "adam"}]}).json()
    assert default[0]["path"][0] == surfaces["beale"].meta["start"]
    assert len(default[0]["path"]) == surfaces["beale"].meta["steps"] + 1


def test_api_422_names_the_field(client):
    def locs(body):
        response = client.post("/api/lab/paths", json=body)
        assert response.status_code == 422
        return [e["loc"] for e in response.json()["detail"]]

    good = {"name": "sgd"}
    assert locs({"surface": "bowl", "optimizers": [good]}) == [["body", "surface"]]
    assert locs({"surface": "ravine", "optimizers": [good, {"name": "newton"}]}) == [["body", "optimizers", 1, "name"]]
    assert locs({"surface": "ravine", "optimizers": [{"name": "sgd", "params": {"lr": -1}}]}) == [
        ["body", "optimizers", 0, "params", "lr"]]
    assert locs({"surface": "ravine", "optimizers": [{"name": "adam", "params": {"momentum": 0.9}}]}) == [
        ["body", "optimizers", 0, "params", "momentum"]]
    assert ["body", "steps"] in locs({"surface": "ravine", "steps": 5001, "optimizers": [good]})
    assert ["body", "optimizers"] in locs({"surface": "ravine", "optimizers": []})


def test_a_noisy_gradient_is_the_exact_one_plus_seeded_noise_once_per_step():
    start = surfaces["ravine"].meta["start"]
    exact = path("ravine", "sgd", 1, lr=0.01)
    noisy = optimizer_path("ravine", tuple(start), "sgd", optimizers["sgd"].params(lr=0.01), 1, noise=2.0, seed=5)
    z = torch.randn(2, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    expected = torch.tensor(exact.path[1], dtype=torch.float64) - 0.01 * 2.0 * z
    assert torch.allclose(torch.tensor(noisy.path[1], dtype=torch.float64), expected, atol=1e-12)


def test_noisy_paths_are_seeded_and_shared_by_every_optimizer():
    def run(seed, noise=1.0):
        return run_paths(PathRequest(surface="ravine", steps=50, noise=noise, seed=seed, optimizers=[
            {"name": "sgd", "params": {"lr": 0.01}}, {"name": "momentum", "params": {"lr": 0.01}}]))

    first, again, other = run(0), run(0), run(1)
    assert [r.path for r in first] == [r.path for r in again]
    assert first[0].path != other[0].path
    assert [r.path for r in run(0, noise=0.0)] == [r.path for r in run_paths(PathRequest(
        surface="ravine", steps=50, optimizers=[{"name": "sgd", "params": {"lr": 0.01}},
                                                {"name": "momentum", "params": {"lr": 0.01}}]))]


def test_with_noise_sgd_never_settles_where_exact_gd_does():
    exact = path("ravine", "sgd", 1000, lr=0.02)
    noisy = run_paths(PathRequest(surface="ravine", steps=1000, noise=2.0,
                                  optimizers=[{"name": "sgd", "params": {"lr": 0.02}}]))[0]
    assert math.hypot(*exact.path[-1]) < 1e-3
    tail = [math.hypot(*p) for p in noisy.path[-200:]]
    assert min(tail) > 1e-3 and max(tail) < 2.0  # it stays near the bottom and keeps jittering around it
