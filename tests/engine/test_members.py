"""A job of several members: batched members train exactly as they would alone, each with everything a run has."""

from __future__ import annotations

import copy

import pytest
import torch
from engine_helpers import Collected, config, info_of, tiny

from engine.batched import Batched
from engine.batched_side import SideBySide
from engine.batching import batching_obstacle, groups
from engine.config import resolve
from engine.datasets import datasets
from engine.events import Probe
from engine.networks import networks
from engine.optimizers import optimizers
from engine.trainer import Member, train, train_members

NETWORKS = {"mlp": ("moons", {"name": "mlp"}),
            "cnn": ("mnist1d", {"name": "cnn", "params": {"conv_layers": [{"channels": 4}, {"channels": 8}],
                                                          "hidden_layers": [16]}})}


def _member_config(network: str, optimizer: str, steps: int = 20, **train_extra):
    dataset, model = NETWORKS[network]
    return config(dataset, steps=steps, model_spec=model, optimizer_spec={"name": optimizer},
                  train={"eval_every": 5, **train_extra})


def _race(configs) -> list[Collected]:
    collected = [Collected() for _ in configs]
    train_members([Member(c, got.events.append) for c, got in zip(configs, collected, strict=True)])
    return collected


def _alone(cfg) -> Collected:
    got = Collected()
    train(cfg, got.events.append)
    return got


def _validated(got: Collected) -> list[tuple[int, float]]:
    return [(m.step, m.values["val_loss"]) for m in got.metrics if "val_loss" in m.values]


@pytest.mark.parametrize("network", NETWORKS)
def test_every_optimizer_trains_in_a_race_as_it_trains_alone(network):
    configs = [_member_config(network, name) for name in optimizers.names()]
    plans = [resolve(c) for c in configs]
    batched = [i for group in groups(plans) if len(group) > 1 for i in group]
    assert len(batched) >= len(configs) - 1  # all but the optimizers that need their own loop (L-BFGS)
    for cfg, raced in zip(configs, _race(configs), strict=True):
        alone = _alone(cfg)
        assert raced.done.status == alone.done.status == "completed"
        ours, theirs = _validated(raced), _validated(alone)
        assert [s for s, _ in ours] == [s for s, _ in theirs] == [0, 5, 10, 15, 20]
        for (step, a), (_, b) in zip(ours, theirs, strict=True):
            assert abs(a - b) <= 1e-5, (cfg.optimizer.name, step, a, b)


def test_eval_share_one_validates_at_every_logged_step_however_slow_validation_is():
    # 8 000 validation points against steps of 4 samples: validation costs many steps, yet 1 means no limit
    cfg = config("moons", steps=60, batch_size=4, dataset_spec=tiny("moons", n_samples=40_000, val_fraction=0.2),
                 train={"eval_every": 5})
    assert [m.step for m in _alone(cfg).metrics if "val_loss" in m.values] == list(range(0, 61, 5))


def _cases() -> list[tuple[str, str, str | None]]:
    """(network, data set, norm): every batchable network on the first data set of each kind it accepts, with
    each of its norm layers."""
    cases = []
    for net in networks:
        if not net.meta.get("batchable"):
            continue
        for kind in net.meta["accepts"]:
            data = next((d.name for d in datasets if d.meta["kind"] == kind and not d.meta.get("user_data")), None)
            norms = ["none", "batch", "layer"] if "norm" in net.params.model_fields else [None]
            cases += [(net.name, data, norm) for norm in norms if data is not None]
    return [*cases, ("mlp", "moons", "prelu")]  # an activation with weights: each member's own slopes


@pytest.mark.parametrize(("name", "dataset", "norm"), _cases())
def test_every_batchable_network_computes_each_members_own_output(name, dataset, norm):
    info = info_of(dataset)
    fields = networks[name].params.model_fields
    params = networks[name].params(**({"dropout": 0.0} if "dropout" in fields else {}),
                                   **({"activation": "prelu"} if norm == "prelu" else {"norm": norm} if norm else {}))
    models = []
    for seed in range(3):
        torch.manual_seed(seed)
        models.append(networks[name].build(params, info, 4))
    alone = [copy.deepcopy(m) for m in models]
    stack = Batched(models, torch.device("cpu"))
    x = torch.randn(6, *info.input_shape)
    for mode in ("train", "eval"):  # batch statistics per member, then each member's own running averages
        stack.network.train(mode == "train")
        out = stack.network(stack.fold(x)).view(3, 6, -1)
        for member, model in enumerate(alone):
            expected = model.train(mode == "train")(x).reshape(6, -1)
            torch.testing.assert_close(out[member], expected, rtol=1e-4, atol=1e-5)
    for model, own in zip(models, alone, strict=True):  # running statistics land in each member's module
        for theirs, mine in zip(model.buffers(), own.buffers(), strict=True):
            torch.testing.assert_close(theirs.float(), mine.float())


@pytest.mark.parametrize(("dataset", "pool", "norm", "activation"), [
    ("mnist1d", "avg", "layer", "prelu"), ("mnist1d", "max", "batch", "tanh"), ("digits", "avg", "batch", "prelu"),
    ("digits", "max", "layer", "relu")])
def test_runs_of_channel_wise_layers_compute_side_by_side_as_each_member_alone(dataset, pool, norm, activation):
    info = info_of(dataset)
    params = networks["cnn"].params(pool=pool, norm=norm, activation=activation)
    models = []
    for seed in range(3):
        torch.manual_seed(seed)
        models.append(networks["cnn"].build(params, info, 4))
    alone = [copy.deepcopy(m) for m in models]
    stack = Batched(models, torch.device("cpu"))
    assert isinstance(stack.network[0], SideBySide)  # the conv stack, converted once in and once out
    x = torch.randn(6, *info.input_shape, requires_grad=True)
    out = stack.network(stack.fold(x)).view(3, 6, -1)
    out.square().sum().backward()
    for member, model in enumerate(alone):
        torch.testing.assert_close(out[member], model(x).reshape(6, -1), rtol=1e-4, atol=1e-5)
        model(x).square().sum().backward()
        for mine, theirs in zip(models[member].parameters(), model.parameters(), strict=True):
            torch.testing.assert_close(mine.grad, theirs.grad, rtol=1e-4, atol=1e-5)


def test_batched_members_get_probes_layer_norms_and_checkpoints_as_solo_runs_do():
    configs = [_member_config("cnn", name, steps=10, checkpoint_every=5) for name in ("sgd", "adam")]
    configs = [c.model_copy(update={"probes": None}) for c in configs]  # the defaults that apply
    saved: list[dict] = [{}, {}]
    collected = [Collected() for _ in configs]
    train_members([Member(c, got.events.append, save=lambda step, state, s=s: s.__setitem__(step, state))
                   for c, got, s in zip(configs, collected, saved, strict=True)])
    for cfg, got, checkpoints in zip(configs, collected, saved, strict=True):
        assert got.events[0].extra["race"] == {"mode": "batched", "members": 2}
        assert {e.name for e in got.events if isinstance(e, Probe)} >= {"histograms", "feature_maps"}
        assert any(k.startswith("grad_norm/") for k in got.metrics[-1].values)
        alone: dict = {}
        train(cfg, lambda e: None, save=alone.__setitem__)
        assert sorted(checkpoints) == sorted(alone) == [5, 10]
        for key, value in alone[10]["model"].items():
            torch.testing.assert_close(checkpoints[10]["model"][key], value, rtol=1e-5, atol=1e-6)
        ours, theirs = checkpoints[10]["optimizer"], alone[10]["optimizer"]
        assert ours["param_groups"] == theirs["param_groups"] and ours["state"].keys() == theirs["state"].keys()
        for index, state in theirs["state"].items():
            for key, value in state.items():
                torch.testing.assert_close(ours["state"][index][key], value, rtol=1e-5, atol=1e-6)


def test_members_end_on_their_own_and_the_others_train_on():
    def member(lr: float, **train_extra):
        return config("moons", loss="mse", model_spec={"name": "mlp", "params": {"hidden_layers": [64, 64]}},
                      optimizer_spec={"name": "sgd", "params": {"lr": lr}}, steps=60, batch_size="full",
                      train={"eval_every": 5, **train_extra})

    calm, wild, stalled = member(0.05), member(10.0), member(1e-7, early_stopping={"patience": 2, "min_delta": 0.01})
    assert len(groups([resolve(c) for c in (calm, wild, stalled)])) == 1
    got = _race([calm, wild, stalled])
    assert got[0].done.status == "completed" and got[0].done.summary["steps"] == 60
    assert got[1].done.status == "diverged" and "non-finite" in got[1].events[-2].message
    assert got[2].done.summary["early_stopped"] and got[2].done.summary["steps"] < 60
    assert all(m.step <= got[2].done.summary["steps"] for m in got[2].metrics)


def test_what_keeps_members_apart_comes_from_the_registry_entries():
    adam, lbfgs = _member_config("mlp", "adam"), _member_config("mlp", "lbfgs")
    assert "optimizer 'lbfgs'" in batching_obstacle([resolve(adam), resolve(lbfgs)])
    sequence = config("parity", "lstm")
    assert "network 'lstm'" in batching_obstacle([resolve(sequence), resolve(sequence)])
    wide = config("moons", model_spec={"name": "mlp", "params": {"hidden_layers": [8]}}, steps=20,
                  train={"eval_every": 5})
    assert "shape" in batching_obstacle([resolve(adam), resolve(wide)])


def test_members_differ_in_everything_but_their_batches_and_still_train_as_alone():
    adam = _member_config("mlp", "adam")
    varied = config("moons", "mlp", optimizer_spec={"name": "nesterov", "params": {"lr": 0.05}},
                    schedule={"name": "cosine", "params": {"warmup_steps": 3}}, init={"name": "xavier_uniform"},
                    regularization={"name": "l2", "params": {"strength": 0.01}}, steps=20,
                    train={"eval_every": 5, "clip_grad_norm": 0.5, "early_stopping": {"patience": 3}})
    assert batching_obstacle([resolve(adam), resolve(varied)]) is None
    raced = _race([adam, varied])[1]
    assert raced.events[0].extra["race"]["mode"] == "batched"
    for (step, a), (_, b) in zip(_validated(raced), _validated(_alone(varied)), strict=True):
        assert abs(a - b) <= 1e-5, (step, a, b)


def _probe_points(got: Collected) -> list[tuple[int, str]]:
    return [(e.step, e.name) for e in got.events if isinstance(e, Probe)]


def test_a_cnn_race_trains_batched_with_probes_and_layer_norms_on_every_member():
    configs = [_member_config("cnn", name, steps=10).model_copy(update={"probes": None})  # the default probes
               for name in ("sgd", "adam", "rmsprop")]
    assert batching_obstacle([resolve(c) for c in configs]) is None
    for cfg, raced in zip(configs, _race(configs), strict=True):
        assert raced.events[0].extra["race"] == {"mode": "batched", "members": 3}
        alone = _alone(cfg)
        # every probe reading a run of its own gets, at the same steps
        assert _probe_points(raced) == _probe_points(alone)
        assert {name for _, name in _probe_points(raced)} >= {"histograms", "feature_maps", "activation_stats"}
        # per-layer norms of this member's own gradients and updates, as it has them alone (the members' optimizers
        # differ, so a reading of another member's layers would not match)
        layered = [m for m in raced.metrics if any(k.startswith("grad_norm/") for k in m.values)]
        assert [m.step for m in layered] == [5, 10]
        for ours, theirs in zip(layered, [m for m in alone.metrics if m.step in (5, 10)], strict=True):
            assert ours.values.keys() == theirs.values.keys()
            for key in (k for k in theirs.values if k.startswith(("grad_norm/", "update_ratio/", "weight_norm/"))):
                assert ours.values[key] == pytest.approx(theirs.values[key], rel=1e-4, abs=1e-7), (cfg, key)
