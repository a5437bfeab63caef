"""The 2-D toy sets of TensorFlow Playground: moons, circles, spiral, xor, blobs."""

from __future__ import annotations

import math

from pydantic import Field

from engine.datasets import DataInfo, DatasetParams, datasets
from engine.lazy import torch


class PointsParams(DatasetParams):
    n_samples: int = Field(1000, ge=20, le=100_000, description="points in all splits together")
    noise: float = Field(0.2, ge=0.0, le=2.0, description="std of the Gaussian noise added to each point")


class MultiClassPointsParams(PointsParams):
    n_classes: int = Field(3, ge=2, le=10)


def _binary_info(params: PointsParams) -> DataInfo:
    return DataInfo("points", "classification", (2,), params.n_samples, n_classes=2)


def _multi_info(params: MultiClassPointsParams) -> DataInfo:
    return DataInfo("points", "classification", (2,), params.n_samples, n_classes=params.n_classes)


def _noisy(x: torch.Tensor, noise: float, gen: torch.Generator) -> torch.Tensor:
    return (x + noise * torch.randn(x.shape, generator=gen)).float()


@datasets.add("moons", PointsParams, "two interleaving half circles", info=_binary_info, kind="points",
              formula=r"x = (\cos t, \sin t)\ \text{or}\ (1-\cos t, \tfrac12-\sin t),\ t \in [0, \pi],"
              r"\ +\,N(0, \text{noise}^2)")
def moons(params: PointsParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    n_out = params.n_samples // 2
    n_in = params.n_samples - n_out
    t_out = torch.linspace(0, math.pi, n_out, dtype=torch.float64)
    t_in = torch.linspace(0, math.pi, n_in, dtype=torch.float64)
    outer = torch.stack([torch.cos(t_out), torch.sin(t_out)], 1)
    inner = torch.stack([1 - torch.cos(t_in), 1 - torch.sin(t_in) - 0.5], 1)
    x = _noisy(torch.cat([outer, inner]), params.noise, gen)
    y = torch.cat([torch.zeros(n_out), torch.ones(n_in)]).long()
    return x, y


@datasets.add("circles", PointsParams, "a small circle inside a large one", info=_binary_info, kind="points",
              formula=r"x = r(\cos t, \sin t) + N(0, \text{noise}^2),\ r = 1\ \text{or}\ \tfrac12")
def circles(params: PointsParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    n_out = params.n_samples // 2
    n_in = params.n_samples - n_out
    t_out = torch.rand(n_out, generator=gen, dtype=torch.float64) * 2 * math.pi
    t_in = torch.rand(n_in, generator=gen, dtype=torch.float64) * 2 * math.pi
    outer = torch.stack([torch.cos(t_out), torch.sin(t_out)], 1)
    inner = 0.5 * torch.stack([torch.cos(t_in), torch.sin(t_in)], 1)
    x = _noisy(torch.cat([outer, inner]), params.noise, gen)
    y = torch.cat([torch.zeros(n_out), torch.ones(n_in)]).long()
    return x, y


class SpiralParams(PointsParams):
    n_classes: int = Field(2, ge=2, le=6, description="arms of the spiral")
    turns: float = Field(1.5, gt=0.0, le=4.0, description="how many times each arm winds")


@datasets.add(
    "spiral", SpiralParams, "interleaved spiral arms, one per class",
    info=lambda p: DataInfo("points", "classification", (2,), p.n_samples, n_classes=p.n_classes), kind="points",
    formula=r"x = r(\sin\phi, \cos\phi),\ \phi = 2\pi(\text{turns}\cdot r + k/K),\ r \in [0.05, 1]",
)
def spiral(params: SpiralParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    per_class = params.n_samples // params.n_classes
    xs, ys = [], []
    for k in range(params.n_classes):
        r = torch.linspace(0.05, 1.0, per_class, dtype=torch.float64)
        t = r * params.turns * 2 * math.pi + 2 * math.pi * k / params.n_classes
        xs.append(torch.stack([r * torch.sin(t), r * torch.cos(t)], 1))
        ys.append(torch.full((per_class,), k))
    x = _noisy(torch.cat(xs), params.noise * 0.5, gen)
    return x, torch.cat(ys).long()


@datasets.add("xor", PointsParams, "four quadrants, opposite ones share a class", info=_binary_info, kind="points",
              formula=r"y = [x_1 > 0] \oplus [x_2 > 0]")
def xor(params: PointsParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(params.n_samples, 2, generator=gen, dtype=torch.float64) * 2 - 1
    # a margin keeps the classes separable at zero noise, as in TensorFlow Playground
    x = x + 0.1 * torch.sign(x)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long()
    return _noisy(x, params.noise * 0.5, gen), y


@datasets.add("blobs", MultiClassPointsParams, "Gaussian blobs around random centres", info=_multi_info,
              kind="points", formula=r"x \sim N(c_y, (0.5 + 4\cdot\text{noise})^2 I),\ c_k \sim U(-4, 4)^2")
def blobs(params: MultiClassPointsParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    centres = torch.rand(params.n_classes, 2, generator=gen, dtype=torch.float64) * 8 - 4
    y = torch.arange(params.n_samples) % params.n_classes
    x = centres[y] + (0.5 + params.noise * 4) * torch.randn(params.n_samples, 2, generator=gen, dtype=torch.float64)
    return x.float(), y.long()
