"""Data sets: each entry generates (x, y) from its params and a seed; split and scaling are shared."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from engine.lazy import torch
from engine.registry import Params, Registry

datasets = Registry("dataset")


class DatasetParams(Params):
    """Knobs every data set has: the split and the input scaling."""

    val_fraction: float = Field(0.2, ge=0.05, le=0.5, description="share kept for validation")
    test_fraction: float = Field(0.2, ge=0.0, le=0.5, description="share kept for the test")
    normalize: bool = Field(True, description="z-score inputs with the training set's mean and std")


@dataclass(frozen=True)
class DataInfo:
    """What a network and a loss need to know of a data set, without generating it."""

    # points (2-D), vector (1-D regression), image (C,H,W), signal (C,L), sequence (T,F), volume (C,D,H,W),
    # tagging (T,F) with a label at every step
    kind: str
    task: str  # classification or regression
    input_shape: tuple[int, ...]
    n_samples: int
    n_classes: int = 0  # 0 for regression
    target_dim: int = 1  # outputs for regression
    class_names: tuple[str, ...] = ()

    @property
    def per_step(self) -> bool:
        """Labels at every time step (y is (n, T)): the network answers per step and the loss sums over steps."""
        return self.kind == "tagging"


@dataclass
class DataBundle:
    info: DataInfo
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    mean: torch.Tensor | float = 0.0
    std: torch.Tensor | float = 1.0

    def to(self, device: torch.device) -> DataBundle:
        # mean and std too: probes map their grids and samples between the data's units and the model's inputs
        for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test", "mean", "std"):
            value = getattr(self, name)
            if isinstance(value, torch.Tensor):
                setattr(self, name, value.to(device))
        return self


def data_info(name: str, params: Params) -> DataInfo:
    return datasets[name].meta["info"](params)


def split_sizes(n: int, params: DatasetParams) -> tuple[int, int, int]:
    n_test = int(round(n * params.test_fraction))
    n_val = max(1, int(round(n * params.val_fraction)))
    return n - n_val - n_test, n_val, n_test


def load(name: str, params: DatasetParams, seed: int) -> DataBundle:
    """Generate the whole set, shuffle with the seed, split train/val/test, z-score."""
    entry = datasets[name]
    x, y = entry.build(params, seed)
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x), generator=generator)
    x, y = x[order], y[order]
    n_train, n_val, _ = split_sizes(len(x), params)
    n = len(x)
    parts = [(0, n_train), (n_train, n_train + n_val), (n_train + n_val, n)]
    (xtr, ytr), (xva, yva), (xte, yte) = [(x[a:b], y[a:b]) for a, b in parts]
    info = entry.meta["info"](params)
    mean: torch.Tensor | float = 0.0
    std: torch.Tensor | float = 1.0
    if params.normalize:
        # note: statistics come from the training part only, so nothing leaks from val/test
        dims = normalization_dims(info.kind, xtr.dim())
        mean = xtr.mean(dim=dims, keepdim=True)
        std = xtr.std(dim=dims, keepdim=True)
        # a feature that is constant in training (a blank corner pixel) is centred, not blown up by 1/ε
        std = torch.where(std > 1e-6, std, torch.ones_like(std))
        xtr, xva, xte = [(part - mean) / std for part in (xtr, xva, xte)]
    return DataBundle(info, xtr, ytr, xva, yva, xte, yte, mean, std)


def normalization_dims(kind: str, ndim: int) -> tuple[int, ...]:
    """Axes the z-score averages over: samples, plus positions for images and signals (per channel)
    and time steps for sequences (per feature), so a statistic is never taken from one pixel alone."""
    if kind in ("image", "signal", "volume"):
        return (0, *range(2, ndim))
    if kind in ("sequence", "tagging"):
        return tuple(range(ndim - 1))
    return (0,)


# registration order is catalog order: toy sets first, then 1-D curves, images, signals, sequences
from engine.datasets import toy2d, curves, images, volumes, signals, sequences, uploads  # noqa: E402,F401,I001
