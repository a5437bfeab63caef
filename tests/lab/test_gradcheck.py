"""Gradient check: a correct backward agrees with centred differences to < 1e-6; a wrong one is caught."""

from __future__ import annotations

import time

import torch
from torch import nn

from engine.config import RunConfig, resolve
from engine.lab.gradcheck import THRESHOLD, gradient_check
from engine.losses import losses
from engine.trainer import build_model


def config(dataset: str, model: dict, **train) -> RunConfig:
    return RunConfig.model_validate({"dataset": {"name": dataset}, "model": model, "loss": {"name": "cross_entropy"},
                                     "optimizer": {"name": "adam"}, "train": {"seed": 3, **train}})


def test_a_tanh_mlp_passes():
    report = gradient_check(config("moons", {"name": "mlp", "params": {"activation": "tanh", "hidden_layers": [8, 8]}}))
    assert report["ok"] and report["max_relative_error"] < THRESHOLD == 1e-6
    shapes = [t["shape"] for t in report["tensors"]]
    assert shapes == [[8, 2], [8], [8, 8], [8], [2, 8], [2]]  # every tensor of 2→8→8→2
    assert [t["checked"] for t in report["tensors"]] == [16, 8, 20, 8, 16, 2]  # up to 20 coordinates each


def test_a_cnn_passes():
    started = time.perf_counter()
    small = {"conv_layers": [{"channels": 6}, {"channels": 8}], "hidden_layers": [16]}
    report = gradient_check(config("mnist1d", {"name": "cnn", "params": small}), samples_per_tensor=10)
    assert report["ok"], report
    assert any(len(t["shape"]) == 3 for t in report["tensors"])  # the 1-D conv kernels were checked
    assert time.perf_counter() - started < 30


def test_dropout_is_off_during_the_check():
    report = gradient_check(config("moons", {"name": "mlp", "params": {"activation": "tanh", "dropout": 0.5}}))
    assert report["ok"], report  # in train mode every evaluation would drop different units


class DoubleGradient(torch.autograd.Function):
    """The identity forward, with a backward that returns twice the true gradient."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return 2 * grad


class Broken(nn.Module):
    def forward(self, x):
        return DoubleGradient.apply(x)


def test_a_broken_backward_is_caught():
    run = config("moons", {"name": "mlp", "params": {"activation": "tanh", "hidden_layers": [8, 8]}})
    plan = resolve(run)
    torch.manual_seed(run.train.seed)
    model = build_model(plan, losses["cross_entropy"].build(plan.params["loss"], plan.info))
    # the broken layer goes just before the output layer: only the tensors below it get wrong gradients
    layers = list(model)
    broken = nn.Sequential(*layers[:-1], Broken(), layers[-1])
    report = gradient_check(run, model=broken)
    errors = [t["max_relative_error"] for t in report["tensors"]]
    assert not report["ok"] and report["max_relative_error"] > 0.1
    assert all(e > 0.1 for e in errors[:-2])  # (2g − g) / (2g + g) = 1/3 wherever g is not tiny
    assert all(e < THRESHOLD for e in errors[-2:])  # the output layer's weight and bias are above the break


def test_api_gradcheck(client):
    body = {"dataset": {"name": "moons"}, "model": {"name": "mlp", "params": {"activation": "tanh"}},
            "loss": {"name": "cross_entropy"}, "optimizer": {"name": "sgd"}}
    response = client.post("/api/lab/gradcheck?samples_per_tensor=5", json=body)
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is True and report["max_relative_error"] < 1e-6
    assert {"name", "shape", "max_relative_error", "checked"} <= set(report["tensors"][0])
    assert report["tensors"][0]["checked"] == 5
    bad = client.post("/api/lab/gradcheck", json={**body, "model": {"name": "mlp", "params": {"activation": "nope"}}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "model", "params", "activation"]


def test_past_the_time_budget_each_tensor_gets_one_coordinate():
    report = gradient_check(config("moons", {"name": "mlp", "params": {"activation": "tanh"}}), budget_s=0.0)
    assert [t["checked"] for t in report["tensors"]] == [1] * len(report["tensors"]) and report["ok"]
