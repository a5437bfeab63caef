"""The exported script replays a run without Descent: its first 10 logged losses match the trainer's to 1e-5."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.config import RunConfig  # noqa: E402
from engine.events import Metrics  # noqa: E402
from engine.export import ExportError, standalone_script  # noqa: E402
from engine.regularizers import regularizers  # noqa: E402
from engine.trainer import train  # noqa: E402

EVAL_EVERY = 3
LOGGED = 10
STDLIB_AND_TORCH = {"argparse", "base64", "io", "json", "math", "os", "sys", "warnings", "zlib", "torch"}


def _run(dataset: dict, model: dict, loss: str, optimizer: dict, seed: int = 0, **extra: Any) -> dict:
    train_settings = {"steps": 40, "batch_size": 16, "eval_every": EVAL_EVERY, "seed": seed, "device": "cpu"}
    return {
        "dataset": dataset,
        "model": model,
        "loss": {"name": loss},
        "optimizer": optimizer,
        "probes": [],
        **extra,
        "train": {**train_settings, **extra.pop("train", {})},
    }


CASES = {
    "moons-mlp-cross_entropy-adam": _run(
        {"name": "moons", "params": {"n_samples": 200}},
        {"name": "mlp"},
        "cross_entropy",
        {"name": "adam", "params": {"lr": 0.01}},
    ),
    "circles-mlp_bn_tanh-bce-momentum-step-l2": _run(
        {"name": "circles", "params": {"n_samples": 200}},
        {"name": "mlp", "params": {"batch_norm": True, "activation": "tanh"}},
        "bce",
        {"name": "momentum", "params": {"lr": 0.05}},
        seed=3,
        schedule={"name": "step", "params": {"decay_steps": 9, "gamma": 0.5}},
        regularization={"name": "l2", "params": {"strength": 0.01}},
    ),
    "xor-perceptron-mse-sgd-full": _run(
        {"name": "xor", "params": {"n_samples": 200}},
        {"name": "perceptron"},
        "mse",
        {"name": "sgd", "params": {"lr": 0.5}},
        seed=1,
        train={"batch_size": "full"},
    ),
    "blobs-mlp-cross_entropy-rmsprop": _run(
        {"name": "blobs", "params": {"n_samples": 240, "n_classes": 4}},
        {"name": "mlp"},
        "cross_entropy",
        {"name": "rmsprop", "params": {"lr": 0.003}},
        seed=7,
    ),
}


@dataclass
class Replay:
    config: RunConfig
    script: str
    metrics: list[Metrics]
    lines: list[dict]
    stderr: str
    returncode: int


@pytest.fixture(scope="module")
def replays(tmp_path_factory) -> dict[str, Replay]:
    """Export every case and start its script at once (they run side by side), then train each in-process."""
    started = {}
    # the repo stays out of the script's reach: cwd elsewhere, no PYTHONPATH
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for name, body in CASES.items():
        config = RunConfig.model_validate(body)
        script = standalone_script(config)
        folder = tmp_path_factory.mktemp(name)
        (folder / "replay.py").write_text(script)
        process = subprocess.Popen(
            [sys.executable, "replay.py", "--steps", str(LOGGED * EVAL_EVERY)],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started[name] = (config, script, process)
    replays = {}
    try:
        for name, (config, script, process) in started.items():
            events: list = []
            train(config, events.append)
            out, err = process.communicate(timeout=180)
            lines = [json.loads(line) for line in out.splitlines() if line.strip()]
            metrics = [e for e in events if isinstance(e, Metrics)]
            replays[name] = Replay(config, script, metrics, lines, err, process.returncode)
    finally:
        for _, _, process in started.values():
            if process.poll() is None:
                process.kill()
    return replays


@pytest.mark.parametrize("name", CASES)
def test_script_reproduces_the_first_logged_losses(replays, name):
    replay = replays[name]
    assert replay.returncode == 0, replay.stderr[-3000:]
    logged = [line for line in replay.lines if "step" in line]
    assert len(logged) == LOGGED + 1 and len(replay.metrics) >= LOGGED
    for ours, theirs in zip(replay.metrics[:LOGGED], logged, strict=False):
        assert theirs["step"] == ours.step
        # the trainer may validate less often than it logs (eval_share); compare where both have a value
        for key in ("train_loss", "val_loss"):
            if key in ours.values:
                assert abs(theirs[key] - ours.values[key]) <= 1e-5, (key, ours.step, theirs[key], ours.values[key])
        assert theirs["lr"] == pytest.approx(ours.values["lr"], rel=1e-12)
        if "val_acc" in ours.values:
            assert theirs["val_acc"] == pytest.approx(ours.values["val_acc"], abs=1e-6)
    # a run that did not move would match any script
    assert len({round(m.values["train_loss"], 5) for m in replay.metrics[:LOGGED]}) >= LOGGED // 2
    assert replay.lines[-1] == {**replay.lines[-1], "done": True, "status": "stopped", "steps": LOGGED * EVAL_EVERY}


def test_the_step_schedule_changes_the_lr_inside_the_compared_window(replays):
    lrs = {line["lr"] for line in replays["circles-mlp_bn_tanh-bce-momentum-step-l2"].lines if "step" in line}
    assert len(lrs) >= 3


@pytest.mark.parametrize("name", CASES)
def test_script_needs_only_torch_and_the_standard_library(replays, name):
    script = replays[name].script
    imported = set(re.findall(r"^\s*(?:import|from)\s+(\w+)", script, re.MULTILINE))
    assert imported <= STDLIB_AND_TORCH
    assert "import engine" not in script and not re.search(r"^\s*(?:import|from)\s+descent", script, re.M | re.I)
    header = script.split('"""', 1)[0]
    assert header.startswith("#!/usr/bin/env python3\n") and "generated by Descent on 20" in header
    config_json = "\n".join(line[4:] for line in header.splitlines() if line.startswith("#   "))
    assert json.loads(config_json) == replays[name].config.model_dump(mode="json")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schedule": {"name": "plateau"}}, "schedule 'plateau' follows the val loss"),
        ({"train": {"mixup_alpha": 0.2}}, "train.mixup_alpha is not reproduced"),
        ({"loss": {"name": "triplet"}}, "loss 'triplet' cannot be exported"),
        (
            {"model": {"name": "mlp", "params": {"activation": "step"}}},
            "network 'mlp' cannot be exported as TorchScript",
        ),
    ],
)
def test_a_run_the_script_cannot_reproduce_raises_a_clear_value_error(change, message):
    body = json.loads(json.dumps(CASES["moons-mlp-cross_entropy-adam"]))
    body["train"].update(change.pop("train", {}))
    body.update(change)
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        standalone_script(RunConfig.model_validate(body))
    assert isinstance(caught.value, ExportError)


def test_the_script_runs_where_the_run_asked_and_device_overrides_it(tmp_path):
    """A run made for the GPU exports a script that asks for the GPU; --device cpu replays it on the CPU."""
    body = json.loads(json.dumps(CASES["moons-mlp-cross_entropy-adam"]))
    body["train"].update(device="cuda", deterministic=True)
    (tmp_path / "replay.py").write_text(standalone_script(RunConfig.model_validate(body)))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def replay(*flags: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "replay.py", "--steps", str(EVAL_EVERY), *flags], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120)

    if not torch.cuda.is_available():
        refused = replay()
        assert refused.returncode == 2 and "--device cuda: this machine has no CUDA GPU" in refused.stderr
    on_cpu = replay("--device", "cpu")
    assert on_cpu.returncode == 0, on_cpu.stderr[-3000:]
    first = json.loads(on_cpu.stdout.splitlines()[1])
    events: list = []
    body["train"]["device"] = "cpu"
    train(RunConfig.model_validate(body), events.append)
    ours = [e for e in events if isinstance(e, Metrics)][1]
    assert first["step"] == ours.step and abs(first["train_loss"] - ours.values["train_loss"]) <= 1e-6


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_the_script_follows_the_gpu_run(tmp_path):
    body = json.loads(json.dumps(CASES["moons-mlp-cross_entropy-adam"]))
    body["train"].update(device="cuda", deterministic=True)
    config = RunConfig.model_validate(body)
    (tmp_path / "replay.py").write_text(standalone_script(config))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "replay.py", "--steps", str(LOGGED * EVAL_EVERY)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    logged = [json.loads(line) for line in out.stdout.splitlines() if '"step"' in line]
    events: list = []
    train(config, events.append)
    ours = [e for e in events if isinstance(e, Metrics)][:LOGGED]
    for mine, theirs in zip(ours, logged, strict=False):
        assert theirs["step"] == mine.step and abs(theirs["train_loss"] - mine.values["train_loss"]) <= 1e-5


@pytest.mark.parametrize("name", regularizers.names())
def test_every_regularization_writes_the_penalty_its_entry_computes(name):
    body = json.loads(json.dumps(CASES["moons-mlp-cross_entropy-adam"]))
    body["regularization"] = {"name": name, "params": {"strength": 0.125}}
    script = standalone_script(RunConfig.model_validate(body))  # refused if the written penalty differs by a bit
    assert "0.125" in script.split("def penalty(weights):", 1)[1].splitlines()[1]
