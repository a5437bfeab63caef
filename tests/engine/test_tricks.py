"""Augmentation, mixup, gradient clipping and early stopping do what their names say."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from engine_helpers import config, info_of, run

from engine.config import ConfigError, resolve
from engine.manifold_mixup import HiddenMix
from engine.networks import networks
from engine.tricks import Augmentation, BatchTricks, EarlyStopper, EarlyStopping, clip_gradients

CPU = torch.device("cpu")


def _dot_image(n: int = 6, size: int = 9) -> torch.Tensor:
    x = torch.zeros(n, 1, size, size)
    x[:, 0, 4, 4] = 1.0
    return x


def test_flip_mirrors_some_samples_and_leaves_the_rest():
    x = torch.arange(64 * 5, dtype=torch.float32).reshape(64, 1, 5)
    out = BatchTricks(Augmentation(flip=True), 0.0, 0, CPU).transform(x)
    flipped = (out == x.flip(-1)).all(dim=(1, 2))
    kept = (out == x).all(dim=(1, 2))
    assert (flipped | kept).all() and flipped.any() and kept.any()


@pytest.mark.parametrize("most", [1, 3])
def test_shift_moves_each_image_by_at_most_the_limit(most):
    out = BatchTricks(Augmentation(shift=most), 0.0, 0, CPU).transform(_dot_image(40))
    assert torch.equal(out.sum(dim=(1, 2, 3)), torch.ones(40))  # the dot moves, nothing is smeared
    where = out[:, 0].flatten(1).argmax(1)
    rows, cols = where // 9, where % 9
    assert ((rows - 4).abs() <= most).all() and ((cols - 4).abs() <= most).all()
    assert len(set(zip(rows.tolist(), cols.tolist(), strict=True))) > 3  # offsets really vary per sample


def test_rotation_turns_each_image_about_its_centre_within_the_limit():
    x = torch.zeros(64, 1, 21, 21)
    x[:, 0, 10, 16] = 1.0  # a dot 6 pixels right of the centre
    out = BatchTricks(Augmentation(rotate=30), 0.0, 0, CPU).transform(x)
    grid = torch.arange(21.0) - 10
    mass = out[:, 0].sum((1, 2))
    cy, cx = (out[:, 0].sum(2) * grid).sum(1) / mass, (out[:, 0].sum(1) * grid).sum(1) / mass
    assert torch.allclose(torch.hypot(cx, cy), torch.full((64,), 6.0), atol=0.3)  # turned, not moved off centre
    angles = torch.rad2deg(torch.atan2(cy, cx))
    assert angles.abs().max() <= 31 and angles.std() > 8  # within ±30°, and each sample has its own angle
    assert (angles > 5).any() and (angles < -5).any()


def test_noise_has_the_asked_std():
    out = BatchTricks(Augmentation(noise=0.5), 0.0, 0, CPU).transform(torch.zeros(200, 1, 8, 8))
    assert abs(out.std().item() - 0.5) < 0.02


def test_mixup_feeds_convex_combinations_and_mixes_the_loss():
    x, y = torch.eye(8), torch.arange(8)  # one-hot rows: each mixed row shows λ and its partner
    inputs, loss_of = BatchTricks(None, 1.0, 0, CPU).prepare(x, y, F.cross_entropy)
    assert torch.allclose(inputs.sum(1), torch.ones(8)) and (inputs >= 0).all()
    moved = inputs.diagonal() < 1  # rows whose partner is another sample
    assert moved.any()
    lam = inputs.diagonal()[moved][0].item()
    assert 0 < lam < 1 and torch.allclose(inputs.diagonal()[moved], torch.full((int(moved.sum()),), lam))
    partner = torch.where(moved, (inputs - torch.diag(inputs.diagonal())).argmax(1), y)
    out = torch.randn(8, 8)
    expected = lam * F.cross_entropy(out, y) + (1 - lam) * F.cross_entropy(out, y[partner])
    assert torch.isclose(loss_of(out), expected)


def test_mixup_off_is_the_plain_loss():
    x, y = torch.randn(8, 3), torch.randint(0, 3, (8,))
    inputs, loss_of = BatchTricks(None, 0.0, 0, CPU).prepare(x, y, F.cross_entropy)
    out = torch.randn(8, 3)
    assert inputs is x and loss_of(out) == F.cross_entropy(out, y)


def test_clip_by_value_then_norm():
    p = torch.zeros(4, requires_grad=True)
    p.grad = torch.tensor([3.0, -4.0, 0.5, 0.0])
    clip_gradients([p], clip_value=1.0, max_norm=None)
    assert torch.equal(p.grad, torch.tensor([1.0, -1.0, 0.5, 0.0]))
    clip_gradients([p], clip_value=None, max_norm=0.5)
    assert math.isclose(p.grad.norm().item(), 0.5, rel_tol=1e-6)


def test_clipping_reaches_the_trainer():
    free = run(config("moons", "mlp", optimizer_spec={"name": "sgd", "params": {"lr": 1.0}}, steps=10))
    clipped = run(config("moons", "mlp", optimizer_spec={"name": "sgd", "params": {"lr": 1.0}}, steps=10,
                         train={"clip_grad_norm": 1e-6}))
    moved = lambda r: abs(r.curve("val_loss")[-1] - r.curve("val_loss")[0])  # noqa: E731
    assert moved(free) > 1e-2 and moved(clipped) < 1e-4
    assert clipped.curve("grad_norm")[-1] > 1e-3  # the logged norm is the one before clipping


def test_early_stopper_counts_evaluations_without_improvement():
    stopper = EarlyStopper(EarlyStopping(patience=2, min_delta=0.1))
    assert [stopper.should_stop(v) for v in (1.0, 0.95, 0.5, 0.45, 0.44)] == [False, False, False, False, True]


def test_early_stopping_ends_a_stalled_run():
    stalled = {"name": "sgd", "params": {"lr": 1e-6}}
    result = run(config("moons", "mlp", optimizer_spec=stalled, steps=200,
                        train={"eval_every": 5, "early_stopping": {"patience": 3, "min_delta": 0.01}}))
    assert result.done.status == "completed" and result.done.summary["early_stopped"]
    assert result.done.summary["steps"] == 15
    assert any("early stopping" in getattr(e, "message", "") for e in result.events)


def test_trick_states_round_trip_through_a_weights_only_checkpoint(tmp_path):
    tricks = BatchTricks(Augmentation(noise=0.1, flip=True), 0.4, 0, CPU)
    stopper = EarlyStopper(EarlyStopping(patience=3))
    stopper.should_stop(1.0)
    tricks.prepare(torch.randn(4, 1, 5), torch.arange(4), F.cross_entropy)
    torch.save({"tricks": tricks.state_dict(), "stopper": stopper.state_dict()}, tmp_path / "state.pt")
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    restored, again = BatchTricks(Augmentation(noise=0.1, flip=True), 0.4, 7, CPU), EarlyStopper(EarlyStopping())
    restored.load_state_dict(state["tricks"])
    again.load_state_dict(state["stopper"])
    x = torch.randn(4, 1, 5)
    assert torch.equal(tricks.prepare(x, torch.arange(4), F.cross_entropy)[0],
                       restored.prepare(x, torch.arange(4), F.cross_entropy)[0])
    assert (again.best, again.waited) == (1.0, 0)


def _inputs_at(points, model, x) -> list[torch.Tensor]:
    """What each mixing point reads in one forward of `x` (hooks added last, so they see any mix)."""
    seen: list[torch.Tensor] = []
    hooks = [p.register_forward_pre_hook(lambda _m, args: seen.append(args[0].detach().clone())) for p in points]
    model(x)
    for hook in hooks:
        hook.remove()
    return seen


def test_manifold_mixup_mixes_one_hidden_layer_and_not_the_inputs():
    torch.manual_seed(0)
    entry = networks["mlp"]
    model = entry.build(entry.params(hidden_layers=[16, 16, 16]), info_of("moons"), 2)
    points = entry.meta["mixup_points"](model)
    assert len(points) == 3 and all(isinstance(p, torch.nn.Linear) for p in points)  # hidden states only
    x, y = torch.randn(8, 2), torch.arange(8) % 2
    clean = _inputs_at(points, model.eval(), x)
    model.train()
    tricks = BatchTricks(None, 1.0, 0, CPU, HiddenMix(points))
    chosen = set()
    for _ in range(12):
        inputs, loss_of = tricks.prepare(x, y, F.cross_entropy)
        assert torch.equal(inputs, x)  # the inputs go in as they are
        index, lam, partner = tricks.hidden.last
        chosen.add(index)
        mixed = _inputs_at(points, model, x)
        for k in range(index):  # before the chosen layer nothing changes
            assert torch.equal(mixed[k], clean[k])
        assert torch.allclose(mixed[index], lam * clean[index] + (1 - lam) * clean[index][partner], atol=1e-6)
        assert not torch.allclose(mixed[index], clean[index])
        out = model(x)
        assert torch.isclose(loss_of(out), lam * F.cross_entropy(out, y) + (1 - lam) * F.cross_entropy(out, y[partner]))
    assert chosen == {0, 1, 2}  # the layer is drawn anew each step
    assert torch.equal(model.eval()(x), model.eval()(x)) and _inputs_at(points, model, x)[0].equal(clean[0])


@pytest.mark.parametrize("network,dataset", [("mlp", "moons"), ("cnn", "digits"), ("resnet", "shapes")])
def test_manifold_mixup_trains(network, dataset):
    result = run(config(dataset, network, steps=4, train={"manifold_mixup_alpha": 0.4}))
    assert result.done.status == "completed" and all(math.isfinite(v) for v in result.curve("train_loss"))


def test_manifold_mixup_needs_hidden_layers_and_excludes_input_mixup():
    with pytest.raises(ConfigError) as caught:
        resolve(config("moons", "perceptron", train={"manifold_mixup_alpha": 0.4}))
    assert caught.value.errors[0]["loc"] == ["train", "manifold_mixup_alpha"]
    with pytest.raises(ValueError, match="not both"):
        config("moons", "mlp", train={"manifold_mixup_alpha": 0.4, "mixup_alpha": 0.4})
