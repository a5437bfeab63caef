"""Losses against their formulas, the ±1 margin heads, and the triplet loss with the Siamese net."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from engine_helpers import config, info_of, run

from engine.losses import losses
from engine.losses.metric import draw_triplets


def _objective(name: str, dataset: str, **params):
    return losses[name].build(losses[name].params(**params), info_of(dataset))


def test_regression_losses_follow_their_formulas():
    out, y = torch.tensor([[0.5], [2.0], [-1.0]]), torch.tensor([1.0, 3.0, 0.5])
    t = y[:, None]
    assert torch.isclose(_objective("msle", "sine").fn(out, t),
                         ((out.clamp_min(0).log1p() - t.log1p()) ** 2).mean())
    assert torch.isclose(_objective("mape", "sine").fn(out, t), ((out - t).abs() / t.abs()).mean())
    assert torch.isclose(_objective("smooth_l1", "sine").fn(out, t), _objective("huber", "sine").fn(out, t))
    half = _objective("smooth_l1", "sine", beta=0.5).fn(out, t)
    assert torch.isclose(half, F.huber_loss(out, t, delta=0.5) / 0.5)


def test_nll_and_kl_relate_to_cross_entropy():
    out, y = torch.randn(16, 3), torch.randint(0, 3, (16,))
    ce = F.cross_entropy(out, y)
    assert torch.isclose(_objective("nll", "blobs").fn(out, y), ce)
    kl = _objective("kl_div", "blobs", label_smoothing=0.2)
    q = kl.prepare(y)
    entropy = -(q * q.log()).sum(1).mean()
    smoothed_ce = -(q * F.log_softmax(out, 1)).sum(1).mean()
    assert torch.isclose(kl.fn(out, q), smoothed_ce - entropy, atol=1e-6)  # KL = cross-entropy − entropy
    assert torch.isclose(_objective("kl_div", "blobs", label_smoothing=0.0).fn(out, q * 0 + F.one_hot(y, 3)), ce)


def test_margin_losses_use_one_output_and_signed_labels_for_two_classes():
    y = torch.tensor([0, 1, 1, 0])
    out = torch.tensor([[-2.0], [0.5], [3.0], [0.2]])
    for name, penalty in (("hinge", lambda m: torch.relu(1 - m)), ("exponential", lambda m: torch.exp(-m))):
        objective = _objective(name, "moons")
        signs = objective.prepare(y)
        assert objective.out_features == 1 and signs.tolist() == [[-1.0], [1.0], [1.0], [-1.0]]
        assert torch.isclose(objective.fn(out, signs), penalty(signs * out).mean())
        assert objective.predict(out).tolist() == [0, 1, 1, 1]
    assert _objective("hinge", "blobs").out_features == info_of("blobs").n_classes


def test_triplets_pair_same_labels_and_different_labels():
    y = torch.tensor([0, 0, 1, 1, 2, 0, 1])
    valid, positives, negatives = draw_triplets(y)
    assert valid.tolist() == [True, True, True, True, False, True, True]  # the only 2 has no positive
    anchors, positives, negatives = valid.nonzero().flatten(), positives[valid], negatives[valid]
    assert (y[anchors] == y[positives]).all() and (anchors != positives).all()
    assert (y[anchors] != y[negatives]).all()


def test_triplet_loss_formula_on_a_hand_made_batch():
    objective = _objective("triplet", "blobs", margin=0.5, normalize=False)
    y = torch.tensor([0, 0, 1])
    z = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 0.5]])
    # anchor 0: ‖A−P‖² = 1, ‖A−N‖² = 0.25 → 1.25; anchor 1: 1 − 1.25 + 0.5 = 0.25; anchor 2 has no positive
    assert torch.isclose(objective.fn(z, y), torch.tensor((1.25 + 0.25) / 2))


def test_siamese_with_triplet_loss_learns_embeddings_that_classify():
    result = run(config("blobs", "siamese", loss="triplet", steps=150, optimizer="adam",
                        dataset_spec={"name": "blobs", "params": {"n_samples": 300, "noise": 0.0}},
                        train={"eval_every": 50}))
    losses_seen = result.curve("train_loss")
    assert losses_seen[-1] < 0.5 * losses_seen[0]
    assert result.curve("val_acc")[-1] > 0.9  # nearest class centroid in the embedding


def test_lbfgs_with_a_closure_fits_a_full_batch():
    result = run(config("moons", "mlp", optimizer="lbfgs", steps=10, batch_size="full",
                        dataset_spec={"name": "moons", "params": {"n_samples": 200}}))
    first, last = result.curve("train_loss")
    assert math.isfinite(last) and last < 0.5 * first
