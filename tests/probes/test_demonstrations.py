"""What the probes are for, as numbers: vanishing gradients, the symmetry of a zeros init, XOR and the perceptron."""

from __future__ import annotations

import statistics

import torch
from probe_helpers import body, run

NORMS = [{"name": "layer_norms"}]
SGD = {"name": "sgd", "params": {"lr": 0.1}}


def first_and_last_layer_gradients(model: dict) -> list[tuple[float, float]]:
    metrics, _, _ = run(body("moons", model, optimizer=SGD, steps=60, probes=NORMS))
    pairs = []
    for point in metrics[1:]:
        grads = [v for k, v in point.values.items() if k.startswith("grad_norm/")]  # in the model's layer order
        pairs.append((grads[0], grads[-1]))
    return pairs


def test_a_deep_sigmoid_mlp_starves_its_first_layer_and_relu_with_batch_norm_does_not():
    deep = {"hidden_layers": [16] * 8}
    sigmoid = first_and_last_layer_gradients({"name": "mlp", "params": {**deep, "activation": "sigmoid"}})
    relu_bn = first_and_last_layer_gradients({"name": "mlp", "params": {**deep, "activation": "relu",
                                                                          "batch_norm": True}})
    # σ' ≤ 1/4 at each of 8 layers: the first layer's gradient is orders of magnitude below the last one's
    assert all(first < last / 100 for first, last in sigmoid), sigmoid
    assert statistics.median(first / last for first, last in relu_bn) > 0.1, relu_bn


def test_a_zeros_init_keeps_every_hidden_unit_identical():
    states: list[dict] = []
    config = body("moons", {"name": "mlp", "params": {"hidden_layers": [8, 8], "activation": "sigmoid"}},
                  init={"name": "zeros"}, steps=200, probes=NORMS)
    run(config, save=lambda step, state: states.append(state))
    weights = states[-1]["model"]
    for name in ("1.weight", "3.weight"):
        rows = weights[name]
        assert rows.abs().max() > 1e-3, name  # it did train...
        assert torch.allclose(rows, rows[:1].expand_as(rows), atol=1e-6), name  # ...but every unit is the same
    assert torch.allclose(weights["3.bias"], weights["3.bias"][:1].expand(8), atol=1e-6)


def test_a_perceptron_stays_at_chance_on_xor_and_one_hidden_layer_solves_it():
    adam = {"name": "adam", "params": {"lr": 0.05}}
    _, _, linear = run(body("xor", "perceptron", optimizer=adam, steps=300, probes=[]))
    _, _, hidden = run(body("xor", {"name": "mlp", "params": {"hidden_layers": [16]}}, optimizer=adam, steps=300,
                            probes=[]))
    assert linear.summary["train_acc"] < 0.65 and linear.summary["val_acc"] < 0.65, linear.summary
    assert hidden.summary["train_acc"] > 0.95 and hidden.summary["val_acc"] > 0.95, hidden.summary
