"""Per-layer metrics: grad_norm/<layer>, weight_norm/<layer>, update_ratio/<layer> at logged steps, checked by hand."""

from __future__ import annotations

import math

import pytest
from probe_helpers import body, run

from engine.config import RunConfig, resolve
from engine.networks import networks
from engine.probes.layers import weight_layers

SGD = {"name": "sgd", "params": {"lr": 0.05}}
LAYERS = ["fc.0", "fc.1", "fc.2"]  # mlp [16, 16]: Flatten, Linear, ReLU, Linear, ReLU, Linear


def per_layer(values: dict, kind: str) -> dict:
    return {k.split("/", 1)[1]: v for k, v in values.items() if k.startswith(kind + "/")}


def test_every_logged_point_carries_the_layers_and_the_summary_does_not():
    metrics, _, done = run(body("moons", "mlp", probes=[{"name": "layer_norms"}]))
    assert [m.step for m in metrics] == [0, 10, 20, 30, 40]
    assert list(per_layer(metrics[0].values, "weight_norm")) == LAYERS
    assert per_layer(metrics[0].values, "grad_norm") == {}  # nothing has been trained at step 0
    for point in metrics[1:]:
        assert list(per_layer(point.values, "grad_norm")) == LAYERS
        assert list(per_layer(point.values, "update_ratio")) == LAYERS
    assert not any("/" in key for key in done.summary)


def test_update_ratio_is_the_sgd_step_over_the_weights():
    # plain SGD moves each weight matrix by lr · g, so ‖Δw‖ / ‖w‖ = lr · grad_norm / weight_norm
    metrics, _, _ = run(body("moons", "mlp", optimizer=SGD, probes=[{"name": "layer_norms"}]))
    for point in metrics[1:]:
        grads, weights = per_layer(point.values, "grad_norm"), per_layer(point.values, "weight_norm")
        for layer, ratio in per_layer(point.values, "update_ratio").items():
            assert ratio == pytest.approx(0.05 * grads[layer] / weights[layer], rel=1e-4)


def test_layer_gradients_add_up_to_the_global_norm_and_are_read_before_clipping():
    config = body("moons", "mlp", optimizer=SGD, probes=[{"name": "layer_norms"}], train={"clip_grad_norm": 1e-3})
    metrics, _, _ = run(config)
    for point in metrics[1:]:
        grads = per_layer(point.values, "grad_norm")
        assert math.sqrt(sum(g * g for g in grads.values())) <= point.values["grad_norm"] * (1 + 1e-6)
        assert max(grads.values()) > 1e-2  # the unclipped gradient, far above the clipping threshold
        for layer, ratio in per_layer(point.values, "update_ratio").items():
            # the step itself was clipped: at most lr · 1e-3 long
            assert ratio * per_layer(point.values, "weight_norm")[layer] <= 0.05 * 1e-3 * (1 + 1e-4)


def test_no_probes_means_no_layer_metrics():
    metrics, probes_seen, _ = run(body("moons", "mlp", probes=[]))
    # the fit verdict is not a probe one can turn off: it comes with the validation points
    assert [p for p in probes_seen if p.name != "fit"] == []
    assert not any("/" in key for m in metrics for key in m.values)


def test_layer_norms_run_by_default_and_name_layers_as_pytorch_does():
    plan = resolve(RunConfig.model_validate(body("parity", {"name": "lstm", "params": {"hidden_size": 4}})))
    assert "layer_norms" in [name for name, _ in plan.probes]
    model = networks["lstm"].build(plan.params["model"], plan.info, 2)
    assert [name for name, _ in weight_layers(model)] == ["core.weight_ih_l0", "core.weight_hh_l0", "head"]
    assert len(weight_layers(model, limit=2)) == 2


def test_a_flat_sequential_names_its_layers_by_kind():
    # #19 item 9: the gradient panels said "1", "3", "5" for an MLP's three Linear layers
    for data, net, expected in (("moons", "mlp", ["fc.0", "fc.1", "fc.2"]),
                                ("mnist1d", "cnn", ["conv.0", "conv.1", "conv.2", "fc.0", "fc.1"]),
                                ("moons", "perceptron", ["fc"])):
        plan = resolve(RunConfig.model_validate(body(data, net)))
        model = networks[net].build(plan.params["model"], plan.info, plan.info.n_classes)
        assert [name for name, _ in weight_layers(model)] == expected, net
