"""Every registry entry runs: each network on each data set it accepts, each optimizer, schedule and loss."""

from __future__ import annotations

import math

import pytest
import torch
from engine_helpers import config, info_of, run

from engine.config import resolve
from engine.datasets import datasets
from engine.inits import initializers
from engine.losses import losses
from engine.networks import networks
from engine.optimizers import optimizers
from engine.schedules import build_factor, schedules
from engine.trainer import build_model

PAIRS = [
    (net.name, data.name)
    for net in networks for data in datasets
    if data.meta["kind"] in net.meta["accepts"] and not data.meta.get("user_data")
]


def _finite_run(cfg) -> None:
    result = run(cfg)
    assert result.done.status == "completed", result.events
    losses_seen = result.curve("train_loss")
    assert len(losses_seen) == 2 and all(v is not None and math.isfinite(v) for v in losses_seen)
    assert result.done.summary["steps"] == 3


@pytest.mark.parametrize("network,dataset", PAIRS, ids=[f"{n}-{d}" for n, d in PAIRS])
def test_network_trains_on_every_accepted_dataset(network, dataset):
    _finite_run(config(dataset, network))


def test_every_network_accepts_something_and_every_dataset_has_a_network():
    assert all(net.meta["accepts"] for net in networks)
    kinds = {kind for net in networks for kind in net.meta["accepts"]}
    assert {data.meta["kind"] for data in datasets if not data.meta.get("user_data")} <= kinds


@pytest.mark.parametrize("name", optimizers.names())
def test_every_optimizer_steps_and_changes_the_weights(name):
    cfg = config("moons", "mlp", optimizer_spec={"name": name})
    plan = resolve(cfg)
    objective = losses["cross_entropy"].build(plan.params["loss"], plan.info)
    torch.manual_seed(0)
    model = build_model(plan, objective)
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = optimizers[name].build(plan.params["optimizer"], model.parameters())
    x, y = torch.randn(32, 2), torch.randint(0, 2, (32,))

    def closure():
        optimizer.zero_grad()
        loss = objective.fn(model(x), y)
        loss.backward()
        return loss

    for _ in range(3):
        optimizer.step(closure)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    _finite_run(cfg)


@pytest.mark.parametrize("name", schedules.names())
def test_every_schedule_gives_finite_factors_and_runs(name):
    params = schedules[name].params(warmup_steps=5)
    factor = build_factor(name, params, 100)
    values = [factor(step) for step in range(101)]
    assert all(math.isfinite(v) and v >= 0 for v in values)
    assert values[0] < 1.0  # warm-up starts low whatever the schedule
    _finite_run(config("moons", "mlp", schedule={"name": name}))


def _datasets_for(task: str) -> list[str]:
    # binary and multi-class for classification, one and several targets for regression
    return ["moons", "blobs"] if task == "classification" else ["sine", "sine_forecast"]


LOSS_CASES = [
    (loss.name, data) for loss in losses for task in loss.meta["tasks"] for data in _datasets_for(task)
]


@pytest.mark.parametrize("loss,dataset", LOSS_CASES, ids=[f"{a}-{b}" for a, b in LOSS_CASES])
def test_every_loss_runs_with_a_suitable_head(loss, dataset):
    info = info_of(dataset)
    model = "mlp" if "mlp" in networks and info.kind in networks["mlp"].meta["accepts"] else "gru"
    sections = {"dataset_spec": {"name": dataset, "params": {"n_samples": 60, "horizon": 2}}} \
        if dataset == "sine_forecast" else {}
    _finite_run(config(dataset, model, loss=loss, **sections))


@pytest.mark.parametrize("init", initializers.names())
@pytest.mark.parametrize("network", networks.names())
def test_every_initializer_fits_every_network(network, init):
    dataset = next(d.name for d in datasets if d.meta["kind"] in networks[network].meta["accepts"])
    plan = resolve(config(dataset, network, init={"name": init}))
    objective = losses[plan.names["loss"]].build(plan.params["loss"], plan.info)
    model = build_model(plan, objective)
    out = model.eval()(torch.randn(4, *plan.info.input_shape))
    assert out.shape == (4, objective.out_features) and torch.isfinite(out).all()
