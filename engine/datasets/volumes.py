"""Small generated 3-D volumes for 3-D convolution: solid shapes at random places and sizes in a noisy cube."""

from __future__ import annotations

from pydantic import Field

from engine.datasets import DataInfo, DatasetParams, datasets
from engine.datasets.images import one_per_sample
from engine.lazy import torch

SOLIDS = ("ball", "cube", "rod", "plate")


class VolumeParams(DatasetParams):
    n_samples: int = Field(800, ge=20, le=10_000, description="volumes in all splits together")
    n_classes: int = Field(4, ge=2, le=len(SOLIDS), description="the first n of: " + ", ".join(SOLIDS))
    size: int = Field(16, ge=8, le=24, description="voxels per side")
    noise: float = Field(0.1, ge=0.0, le=1.0, description="std of the Gaussian voxel noise")


def _info(params: VolumeParams) -> DataInfo:
    return DataInfo("volume", "classification", (1, params.size, params.size, params.size), params.n_samples,
                    n_classes=params.n_classes, class_names=SOLIDS[: params.n_classes])


def _solids(size: int, n: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """One boolean (n, size, size, size) mask per solid, each sample at its own centre, radius and axis."""
    r = size * (0.18 + 0.12 * torch.rand(n, 1, 1, 1, generator=gen))
    centre = [r + torch.rand(n, 1, 1, 1, generator=gen) * (size - 1 - 2 * r) for _ in range(3)]
    grid = torch.arange(size, dtype=torch.float32)
    d = [grid.view(-1, 1, 1) - centre[0], grid.view(1, -1, 1) - centre[1], grid.view(1, 1, -1) - centre[2]]
    # rods and plates lie along one of the three axes, drawn per sample
    axis = torch.randint(0, 3, (n,), generator=gen)
    along = torch.stack([a.abs().expand(n, size, size, size) for a in d])[axis, torch.arange(n)]
    across = sum(a**2 for a in d) - along**2
    return {
        "ball": sum(a**2 for a in d) <= r**2,
        "cube": torch.stack([a.abs().expand(n, size, size, size) for a in d]).amax(0) <= r * 0.8,
        "rod": (across <= (r * 0.35) ** 2) & (along <= r * 1.3),
        "plate": (along <= r * 0.25) & (across <= r**2),
    }


@datasets.add(
    "volumes", VolumeParams, "generated 3-D solids (ball, cube, rod, plate) in a size³ voxel cube, for 3-D convolution",
    info=_info, kind="volume",
    formula=r"x = \mathbb{1}[\text{voxel} \in \text{solid}_y(c, r)] + N(0, \text{noise}^2),\ x \in \mathbb{R}^{s^3}",
)
def volumes(params: VolumeParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    n, size = params.n_samples, params.size
    y, chosen = one_per_sample(_solids(size, n, gen), SOLIDS[: params.n_classes])
    x = chosen.float() + params.noise * torch.randn(n, size, size, size, generator=gen)
    return x.unsqueeze(1), y
