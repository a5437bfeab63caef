"""Small image sets: scikit-learn's 8×8 digits and procedural shapes and stripes (feature maps mean something)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from engine.datasets import DataInfo, DatasetParams, datasets
from engine.lazy import numpy as np
from engine.lazy import torch

DIGITS_TOTAL = 1797
SHAPES = ("circle", "square", "triangle", "horizontal_stripes", "vertical_stripes")


class DigitsParams(DatasetParams):
    n_samples: int = Field(DIGITS_TOTAL, ge=40, le=DIGITS_TOTAL, description="images used (a seeded subset)")


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images.astype(np.float32) / 16.0, bunch.target.astype(np.int64)


@datasets.add(
    "digits", DigitsParams, "scikit-learn's 1797 handwritten digits, 8×8 pixels, 10 classes",
    formula=r"x \in \{0, \dots, 16\}^{8\times 8},\ y \in \{0, \dots, 9\}",
    info=lambda p: DataInfo("image", "classification", (1, 8, 8), p.n_samples, n_classes=10,
                            class_names=tuple(str(d) for d in range(10))),
    kind="image",
)
def digits(params: DigitsParams, seed: int):
    images, labels = _digits()
    pick = torch.randperm(DIGITS_TOTAL, generator=torch.Generator().manual_seed(seed))[: params.n_samples]
    return torch.from_numpy(images)[pick].unsqueeze(1), torch.from_numpy(labels)[pick]


class ShapesParams(DatasetParams):
    n_samples: int = Field(3000, ge=20, le=20_000, description="images in all splits together")
    n_classes: int = Field(5, ge=2, le=len(SHAPES), description="the first n of: " + ", ".join(SHAPES))
    image_size: int = Field(16, ge=12, le=32, description="pixels per side")
    noise: float = Field(0.1, ge=0.0, le=1.0, description="std of the Gaussian pixel noise")


def _shapes_info(params: ShapesParams) -> DataInfo:
    size = params.image_size
    return DataInfo("image", "classification", (1, size, size), params.n_samples,
                    n_classes=params.n_classes, class_names=SHAPES[: params.n_classes])


def _masks(size: int, n: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """One boolean mask per shape for each of n random positions and sizes: (n, size, size) each."""
    r = size * (0.2 + 0.15 * torch.rand(n, 1, 1, generator=gen))
    cx = r + torch.rand(n, 1, 1, generator=gen) * (size - 1 - 2 * r)
    cy = r + torch.rand(n, 1, 1, generator=gen) * (size - 1 - 2 * r)
    width = torch.randint(1, 3, (n, 1, 1), generator=gen)  # stripe width in pixels
    grid = torch.arange(size, dtype=torch.float32)
    dx, dy = grid[None, None, :] - cx, grid[None, :, None] - cy
    box = torch.maximum(dx.abs(), dy.abs()) <= r * 0.85
    return {
        "circle": dx**2 + dy**2 <= r**2,
        "square": box,
        "triangle": (dy.abs() <= r) & (dx.abs() <= (dy + r) / 2),
        "horizontal_stripes": box & ((dy + r).floor().long() // width % 2 == 0),
        "vertical_stripes": box & ((dx + r).floor().long() // width % 2 == 0),
    }


def one_per_sample(masks: dict[str, torch.Tensor], names: tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels cycling through `names`, and for each sample the mask of its own class (each mask holds one drawing
    per sample, at that sample's place and size)."""
    n = len(next(iter(masks.values())))
    y = torch.arange(n) % len(names)
    return y, torch.stack([masks[name] for name in names])[y, torch.arange(n)]


@datasets.add(
    "shapes", ShapesParams, "procedural images: circles, squares, triangles, horizontal and vertical stripes",
    info=_shapes_info, kind="image", formula=r"x = \text{shape}_y(\text{position}, \text{size}) + N(0, \text{noise}^2)",
)
def shapes(params: ShapesParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    n, size = params.n_samples, params.image_size
    y, chosen = one_per_sample(_masks(size, n, gen), SHAPES[: params.n_classes])
    brightness = 0.6 + 0.4 * torch.rand(n, 1, 1, generator=gen)
    x = chosen.float() * brightness + params.noise * torch.randn(n, size, size, generator=gen)
    return x.unsqueeze(1), y
