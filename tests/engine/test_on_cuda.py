"""The same paths as test_gpu_placement.py, on a real CUDA GPU: every network, data set, loss and trick trains there,
a batched race and every landscape kind compute there, and a deterministic run follows its CPU twin.

Skipped without a GPU (CI has none); bench/gpu.sh's machine runs them with
`python -m pytest --noconftest tests/engine/test_on_cuda.py` (the suite's conftest needs the web stack)."""

from __future__ import annotations

import math

import pytest
import torch
from engine_helpers import config, run
from test_gpu_placement import CASES, Recorder, _race, _race_configs, _run_config

from engine.batching import batching_obstacle
from engine.config import resolve
from engine.events import Status
from engine.lab.landscape import landscape
from engine.trainer import train

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _on_cuda(cfg, **train_extra):
    return cfg.model_copy(update={"train": cfg.train.model_copy(update={"device": "cuda", **train_extra})})


def _device_of(events) -> str:
    return next(e.extra["device"] for e in events if isinstance(e, Status) and "device" in e.extra)


@pytest.mark.parametrize("name", CASES)
def test_every_path_of_a_run_trains_on_the_gpu(name):
    collected = run(_on_cuda(_run_config(CASES[name], steps=6)))
    losses = [v for v in collected.curve("train_loss") if v is not None]
    assert _device_of(collected.events).startswith("cuda"), collected.events
    assert collected.done.status == "completed" and losses and all(math.isfinite(v) for v in losses), collected.events


@pytest.mark.parametrize(("model", "dataset"), [("mlp", "moons"), ("cnn", "digits")])
def test_a_deterministic_gpu_run_follows_its_cpu_twin(model, dataset):
    cpu = config(dataset, model, steps=20, train={"eval_every": 5, "deterministic": True, "device": "cpu"})
    on_cpu, on_gpu = run(cpu), run(_on_cuda(cpu))
    for a, b in zip(on_cpu.curve("val_loss"), on_gpu.curve("val_loss"), strict=True):
        assert (a is None) == (b is None) and (a is None or abs(a - b) <= 1e-4 * max(1.0, abs(a))), (a, b)


@pytest.mark.parametrize(("model", "dataset"), [("mlp", "moons"), ("cnn", "digits")])
def test_a_batched_race_trains_on_the_gpu(model, dataset):
    configs = [_on_cuda(c) for c in _race_configs(model=model, dataset=dataset)]
    assert batching_obstacle([resolve(c) for c in configs]) is None
    recorders = [Recorder(), Recorder()]
    assert [d.status for d in _race(configs, recorders)] == ["completed", "completed"]
    assert all(_device_of(r.events).startswith("cuda") for r in recorders)


@pytest.mark.parametrize("kind", ["interpolation", "random", "pca"])
def test_every_landscape_kind_computes_on_the_gpu(kind):
    cfg = _on_cuda(_run_config({"dataset": "moons"}, steps=6, checkpoint_every=3))
    recorder = Recorder()
    train(cfg, recorder.emit, save=recorder.save)
    result = landscape(cfg, recorder.saved[-1]["model"], 6, kind, n=3, samples=32)
    assert result["kind"] == kind
    values = result["train_loss"] if kind == "interpolation" else [v for row in result["loss"] for v in row]
    assert values and all(math.isfinite(v) for v in values), result
