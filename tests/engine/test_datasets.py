"""Every data set matches the info it advertises; the generated tasks are the tasks they claim to be."""

from __future__ import annotations

import pytest
import torch
from engine_helpers import tiny

from engine.datasets import data_info, datasets, load


def _generate(name: str, seed: int = 0, **params):
    entry = datasets[name]
    parsed = entry.params(**tiny(name, **params)["params"])
    return data_info(name, parsed), *entry.build(parsed, seed)


@pytest.mark.parametrize("name", [d.name for d in datasets if not d.meta.get("user_data")])
def test_dataset_matches_its_info(name):
    info, x, y = _generate(name)
    assert info.kind == datasets[name].meta["kind"]
    assert tuple(x.shape) == (info.n_samples, *info.input_shape) and x.dtype == torch.float32
    assert torch.isfinite(x).all() and len(y) == info.n_samples
    if info.task == "classification":
        assert y.dtype == torch.long and set(y.flatten().tolist()) == set(range(info.n_classes))
        assert not info.class_names or len(info.class_names) == info.n_classes
    else:
        assert y.dtype == torch.float32 and y.reshape(len(y), -1).shape[1] == info.target_dim
    again = datasets[name].build(datasets[name].params(**tiny(name)["params"]), 0)
    assert torch.equal(again[0], x) and torch.equal(again[1], y)


@pytest.mark.parametrize("name", [d.name for d in datasets if not d.meta.get("user_data")])
def test_split_and_normalization_use_training_statistics(name):
    bundle = load(name, datasets[name].params(**tiny(name)["params"]), seed=3)
    assert len(bundle.x_train) + len(bundle.x_val) + len(bundle.x_test) == bundle.info.n_samples
    assert torch.isfinite(bundle.x_val).all() and bundle.x_val.abs().max() < 1e3  # no 1/ε blow-ups
    assert bundle.x_train.mean().abs() < 0.2


def test_parity_labels_are_the_xor_of_the_bits():
    _, x, y = _generate("parity", seq_len=7)
    assert torch.equal(y, x[:, :, 0].long().sum(1) % 2)


def test_adding_targets_sum_the_two_marked_values():
    _, x, y = _generate("adding", seq_len=12)
    values, marks = x[:, :, 0], x[:, :, 1]
    assert torch.equal(marks.sum(1), torch.full((len(x),), 2.0))
    assert (marks[:, :6].sum(1) == 1).all()  # one mark in each half
    assert torch.allclose((values * marks).sum(1), y)


def test_sine_forecast_continues_the_clean_sine():
    _, x, y = _generate("sine_forecast", noise=0.0, horizon=3, seq_len=10)
    assert y.shape == (len(x), 3)
    # a clean sine obeys s[t+1] = 2cos(ω)s[t] − s[t−1]; recover 2cos(ω) from the window and extrapolate
    s = x[:, :, 0].double()
    two_cos = (s[:, 2] + s[:, 0]) / s[:, 1]
    ok = s[:, 1].abs() > 0.2
    predicted = two_cos * s[:, -1] - s[:, -2]
    assert torch.allclose(predicted[ok], y[ok, 0].double(), atol=1e-4)


def test_sine_and_polynomial_targets_follow_their_curves():
    info, x, y = _generate("sine", noise=0.0, frequency=2.0)
    assert torch.allclose(y, torch.sin(2.0 * x[:, 0]), atol=1e-6)
    _, x, y = _generate("polynomial", noise=0.0, degree=2)
    coefficients = torch.linalg.lstsq(torch.stack([x[:, 0] ** k for k in range(3)], 1), y[:, None]).solution
    fitted = torch.stack([x[:, 0] ** k for k in range(3)], 1) @ coefficients
    assert torch.allclose(fitted[:, 0], y, atol=1e-4) and y.abs().max() <= 1.01


def test_shapes_classes_differ_and_stripes_have_the_right_direction():
    _, x, y = _generate("shapes", noise=0.0, n_samples=100)
    images = x[:, 0]
    horizontal, vertical = images[y == 3], images[y == 4]
    # horizontal stripes change from row to row, vertical ones from column to column
    row_change = lambda im: (im[:, 1:, :] - im[:, :-1, :]).abs().sum()  # noqa: E731
    col_change = lambda im: (im[:, :, 1:] - im[:, :, :-1]).abs().sum()  # noqa: E731
    assert row_change(horizontal) > 2 * col_change(horizontal)
    assert col_change(vertical) > 2 * row_change(vertical)


def test_mnist1d_leaves_global_random_state_alone():
    import random

    import numpy as np

    from engine.datasets.signals import _generate as generate

    generate.cache_clear()
    np.random.seed(123)
    random.seed(123)
    expected = (np.random.rand(), random.random())
    np.random.seed(123)
    random.seed(123)
    _generate("mnist1d", n_samples=200)
    assert (np.random.rand(), random.random()) == expected
