"""The default cadence (ten checkpoints a run) keeps them CHECKPOINT_GAP_S apart; a cadence the config sets is kept."""

from __future__ import annotations

import pytest
from engine_helpers import config

from engine import trainer
from engine.trainer import train


def _saved_steps(cfg) -> list[int]:
    saved: list[int] = []
    train(cfg, lambda event: None, save=lambda step, state: saved.append(step))
    return saved


def test_the_default_cadence_skips_checkpoints_closer_than_the_gap_but_keeps_the_last(monkeypatch):
    monkeypatch.setattr(trainer, "CHECKPOINT_GAP_S", 3600.0)  # a run faster than the gap
    assert _saved_steps(config(steps=20)) == [20]


def test_the_default_cadence_writes_ten_a_run_once_they_are_the_gap_apart(monkeypatch):
    monkeypatch.setattr(trainer, "CHECKPOINT_GAP_S", 0.0)  # steps slower than the gap
    assert _saved_steps(config(steps=20)) == list(range(2, 21, 2))


@pytest.mark.parametrize("every", [5, 20])
def test_a_cadence_the_config_sets_is_kept_however_close(monkeypatch, every):
    monkeypatch.setattr(trainer, "CHECKPOINT_GAP_S", 3600.0)
    assert _saved_steps(config(steps=20, train={"checkpoint_every": every})) == list(range(every, 21, every))
