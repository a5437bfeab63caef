"""MNIST-1D: ten 1-D digit templates, shifted, scaled, sheared and noised into 40-point signals."""

from __future__ import annotations

import random
from functools import lru_cache

from pydantic import Field

from engine.datasets import DataInfo, DatasetParams, datasets
from engine.lazy import numpy as np
from engine.lazy import torch

LENGTH = 40  # mnist1d's final_seq_length


class MNIST1DParams(DatasetParams):
    n_samples: int = Field(5000, ge=100, le=50_000, multiple_of=10, description="signals (a multiple of 10)")


@lru_cache(maxsize=4)
def _generate(n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    # note: imported here because the package pulls in matplotlib (about 1.5 s); generating 5000 costs ~1 s
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = n_samples
    args.train_split = 1.0  # the shared split below does train/val/test
    # make_dataset reseeds the global numpy and random states; put them back so nothing else shifts
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return data["x"].astype(np.float32), data["y"].astype(np.int64)


@datasets.add(
    "mnist1d", MNIST1DParams, "MNIST-1D: 40-point signals of 10 digit templates, regenerated offline",
    info=lambda p: DataInfo("signal", "classification", (1, LENGTH), p.n_samples, n_classes=10,
                            class_names=tuple(str(d) for d in range(10))),
    kind="signal",
    formula=r"x = \mathrm{shift}(\mathrm{shear}(\mathrm{scale}(t_y))) + \text{noise},\ x \in \mathbb{R}^{40}",
)
def mnist1d(params: MNIST1DParams, seed: int):
    # the set is the package's canonical one (its own seed 42); the run's seed shuffles the split
    x, y = _generate(params.n_samples)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)
