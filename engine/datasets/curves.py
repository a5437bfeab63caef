"""1-D regression sets: a noisy sine and a noisy random polynomial, one input and one target."""

from __future__ import annotations

import math

from pydantic import Field

from engine.datasets import DataInfo, DatasetParams, datasets
from engine.lazy import torch


class CurveParams(DatasetParams):
    n_samples: int = Field(200, ge=20, le=100_000, description="points in all splits together")
    noise: float = Field(0.1, ge=0.0, le=2.0, description="std of the Gaussian noise added to each target")


class SineParams(CurveParams):
    frequency: float = Field(1.0, gt=0.0, le=10.0, description="ω in y = sin(ωx), x in [-π, π]")


class PolynomialParams(CurveParams):
    degree: int = Field(3, ge=1, le=9, description="degree of the random polynomial")


def _curve_info(params: CurveParams) -> DataInfo:
    return DataInfo("vector", "regression", (1,), params.n_samples, target_dim=1)


def _uniform(n: int, low: float, high: float, gen: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, 1, generator=gen, dtype=torch.float64)


@datasets.add(
    "sine", SineParams, "y = sin(ωx) + noise on [-π, π]: the classic curve to fit",
    info=_curve_info, kind="vector", formula=r"y = \sin(\omega x) + \epsilon",
)
def sine(params: SineParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    x = _uniform(params.n_samples, -math.pi, math.pi, gen)
    y = torch.sin(params.frequency * x) + params.noise * torch.randn(x.shape, generator=gen, dtype=torch.float64)
    return x.float(), y[:, 0].float()


@datasets.add(
    "polynomial", PolynomialParams, "a random polynomial on [-1, 1], scaled to peak at ±1, plus noise",
    info=_curve_info, kind="vector", formula=r"y = \sum_k c_k x^k + \epsilon",
)
def polynomial(params: PolynomialParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    coefficients = torch.randn(params.degree + 1, generator=gen, dtype=torch.float64)
    powers = torch.arange(params.degree + 1, dtype=torch.float64)
    curve = lambda x: (x**powers * coefficients).sum(1, keepdim=True)  # noqa: E731
    # note: scaling by the peak keeps targets near [-1, 1] whatever the degree, so one lr fits all
    peak = curve(torch.linspace(-1, 1, 513, dtype=torch.float64)[:, None]).abs().max().clamp_min(1e-6)
    x = _uniform(params.n_samples, -1.0, 1.0, gen)
    y = curve(x) / peak + params.noise * torch.randn(x.shape, generator=gen, dtype=torch.float64)
    return x.float(), y[:, 0].float()
