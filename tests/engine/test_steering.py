"""Steering mid-flight (engine/steering.py): the trainer applies a steer at its step and says so, the exported
script replays it, and values the optimizer refuses are errors naming the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from engine.config import ConfigError, RunConfig, resolve
from engine.control import Control, Steering
from engine.events import Metrics, Steer
from engine.export import standalone_script
from engine.trainer import train

AT = 12
LOGGED = 10


def config(**train) -> dict:
    return {
        "dataset": {"name": "moons", "params": {"n_samples": 200}}, "model": {"name": "mlp"},
        "loss": {"name": "cross_entropy"}, "optimizer": {"name": "momentum", "params": {"lr": 0.05}},
        "schedule": {"name": "cosine"}, "probes": [],
        "train": {"steps": AT + LOGGED, "batch_size": 16, "eval_every": 1, "device": "cpu", **train},
    }


def test_a_scheduled_steer_halves_the_base_lr_and_the_script_replays_it(tmp_path):
    body = config(steers=[{"step": AT, "lr": 0.025, "momentum": 0.5}])
    events: list = []
    train(RunConfig.model_validate(body), events.append)
    steers = [e for e in events if isinstance(e, Steer)]
    assert [(s.step, s.values) for s in steers] == [(AT, {"lr": 0.025, "momentum": 0.5})]
    metrics = {e.step: e.values for e in events if isinstance(e, Metrics)}
    unsteered: list = []
    train(RunConfig.model_validate(config()), unsteered.append)
    plain = {e.step: e.values for e in unsteered if isinstance(e, Metrics)}
    # the schedule still multiplies: the steered lr is half the unsteered one at every later step
    for step in range(AT + 1, AT + LOGGED + 1):
        assert metrics[step]["lr"] == pytest.approx(plain[step]["lr"] / 2, rel=1e-12)
    assert metrics[AT]["lr"] == plain[AT]["lr"]  # step AT itself ran before the steer

    (tmp_path / "replay.py").write_text(standalone_script(RunConfig.model_validate(body)))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "replay.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    replayed = {line["step"]: line for line in map(json.loads, done.stdout.splitlines()) if "step" in line}
    for step in range(AT + 1, AT + LOGGED + 1):
        assert abs(replayed[step]["train_loss"] - metrics[step]["train_loss"]) <= 1e-5, step
        assert replayed[step]["lr"] == pytest.approx(metrics[step]["lr"], rel=1e-12)
    # the loss of step AT + 1 is read before its update; from AT + 2 on the steer shows
    assert abs(replayed[AT + 2]["train_loss"] - plain[AT + 2]["train_loss"]) > 1e-6


def test_a_live_steer_is_taken_before_the_next_step():
    steering = Steering()
    events: list = []
    steering.write({"lr": 0.02, "probes": 0.0})
    body = config()
    del body["probes"]  # the defaults, which the steer switches off
    train(RunConfig.model_validate(body), events.append, Control(steering=steering))
    (steer,) = [e for e in events if isinstance(e, Steer)]
    assert steer.step == 0 and steer.values == {"lr": 0.02, "probes": False}
    first = next(e for e in events if isinstance(e, Metrics) and e.step == 1)
    assert first.values["lr"] == pytest.approx(0.02)  # the cosine's factor at step 0 is 1
    assert not any(k.startswith("grad_norm/") for e in events if isinstance(e, Metrics) for k in e.values)


def test_two_writes_between_steps_merge_and_an_unchanged_value_is_not_a_steer():
    steering = Steering()
    assert steering.take() is None
    steering.write({"lr": 0.1})
    steering.write({"momentum": 0.5, "lr": 0.2})
    assert steering.take() == {"lr": 0.2, "momentum": 0.5}
    assert steering.take() is None
    steering.write({"lr": 0.2})
    assert steering.take() is None  # already in force


@pytest.mark.parametrize(("steer", "field", "message"), [
    ({"momentum": 0.9}, "momentum", "optimizer 'adam' has no momentum"),
    ({"lr": 0.0}, "lr", "greater than 0"),
    ({"weight_decay": -1.0}, "weight_decay", "greater than or equal to 0"),
])
def test_values_the_optimizer_refuses_name_the_field(steer, field, message):
    body = config(steers=[{"step": 3, **steer}])
    body["optimizer"] = {"name": "adam"}
    with pytest.raises(ConfigError) as caught:
        resolve(RunConfig.model_validate(body))
    (error,) = caught.value.errors
    assert error["loc"] == ["train", "steers", 0, field] and message in error["msg"]
