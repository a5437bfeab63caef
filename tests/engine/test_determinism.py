"""Same config and seed, same curve (to 1e-6); another seed, another curve."""

from __future__ import annotations

import numpy as np
from engine_helpers import config, run

from engine.config import RunConfig
from engine.events import Metrics
from engine.trainer import train
from engine.tricks import EarlyStopper

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


def test_a_run_continued_from_a_checkpoint_follows_the_uninterrupted_run_with_every_trick_on():
    """The checkpoint holds the tricks' generators (augmentation, mixup) and the early stopper with the rest."""
    tricks = {**TRICKS, "early_stopping": {"patience": 50}, "eval_every": 2, "checkpoint_every": 4}
    cfg = config("digits", "cnn", steps=8, model_spec={"name": "cnn", "params": {"dropout": 0.3}}, train=tricks)
    saved: dict[int, dict] = {}
    whole: list = []
    train(cfg, whole.append, save=lambda step, state: saved.__setitem__(step, state))
    continued = RunConfig.model_validate({**cfg.model_dump(), "start_from": {"run": "0" * 12, "mode": "continue"}})
    rest: list = []
    train(continued, rest.append, start=saved[4])

    def losses(events, after: int) -> list[float]:
        return [e.values["train_loss"] for e in events if isinstance(e, Metrics) and e.step > after]

    assert len(losses(rest, 4)) == 2
    np.testing.assert_allclose(losses(rest, 4), losses(whole, 4), rtol=1e-6, atol=1e-7)
    assert saved[4]["stopper"]["best"] < float("inf")  # the early stopper's count travels with the checkpoint


def test_a_continued_run_counts_the_checkpoints_evaluation_once(monkeypatch):
    """Its first point repeats the checkpoint's last one, which the restored early stopper has already counted."""
    cfg = config(steps=8, train={"eval_every": 4, "checkpoint_every": 4, "early_stopping": {"patience": 50}})
    saved: dict[int, dict] = {}
    train(cfg, lambda event: None, save=lambda step, state: saved.__setitem__(step, state))
    counted = []
    monkeypatch.setattr(EarlyStopper, "should_stop", lambda self, val_loss: counted.append(val_loss) and False)
    continued = RunConfig.model_validate({**cfg.model_dump(), "start_from": {"run": "0" * 12, "mode": "continue"}})
    train(continued, lambda event: None, start=saved[4])
    assert len(counted) == 1  # step 8 only
