"""Same config and seed, same curve (to 1e-6); another seed, another curve."""

from __future__ import annotations

import numpy as np
from engine_helpers import config, run

TRICKS = {"augment": {"flip": True, "shift": 1, "noise": 0.1}, "mixup_alpha": 0.4, "clip_grad_norm": 1.0}


def _curves(cfg) -> np.ndarray:
    result = run(cfg)
    # every logged value, in order; validation may come less often than eval_every, so skip where absent
    return np.array([m.values.get(k, np.nan) for m in result.metrics[1:] for k in ("train_loss", "val_loss", "lr")])


def _cnn(seed: int):
    return config("digits", "cnn", steps=12, train={"eval_every": 4, "seed": seed, **TRICKS})


def test_same_seed_same_curve_with_every_trick_on():
    first, second = _curves(_cnn(0)), _curves(_cnn(0))
    np.testing.assert_allclose(first, second, rtol=1e-6, atol=1e-6, equal_nan=True)
    assert not np.allclose(first, _curves(_cnn(1)), rtol=1e-3)


def test_same_seed_same_curve_for_a_recurrent_net():
    cfg = config("parity", "lstm", steps=8, train={"eval_every": 4})
    np.testing.assert_allclose(_curves(cfg), _curves(cfg), rtol=1e-6, atol=1e-6, equal_nan=True)
