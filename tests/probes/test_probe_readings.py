"""Every probe's reading: where it applies, its shape, its size on the wire, and its numbers against PyTorch."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import torch
from probe_helpers import body, reader, setup
from test_png_encoder import decode_gray

from engine.events import dumps
from engine.probes import probes
from engine.probes.sequence import recurrent_gates

CASES = [
    body("moons", "mlp"),
    body({"name": "shapes", "params": {"n_samples": 200}}, "cnn"),
    body({"name": "mnist1d", "params": {"n_samples": 200}}, "cnn"),
    body({"name": "sine", "params": {"n_samples": 100}}, "mlp", loss="mse"),
    body({"name": "sine_forecast", "params": {"n_samples": 100}}, {"name": "lstm", "params": {"hidden_size": 8}},
         loss="mse"),
    body({"name": "parity", "params": {"n_samples": 100}}, "transformer"),
    body({"name": "parity", "params": {"n_samples": 100}}, {"name": "gru", "params": {"hidden_size": 8}}),
]
MAX_BYTES = 64_000  # a reading is a few KB to tens of KB, never a megabyte of JSON


def decoded(sent: dict) -> np.ndarray:
    pixels = decode_gray(base64.b64decode(sent["png"])).reshape(sent["n"], sent["h"], sent["w"]).astype(float)
    lo, hi = np.array(sent["lo"])[:, None, None], np.array(sent["hi"])[:, None, None]
    return lo + pixels * (hi - lo) / 255


@pytest.mark.parametrize("name", [entry.name for entry in probes if not entry.meta.get("watch")])
def test_every_probe_gives_a_small_strict_json_reading_somewhere(name):
    found = 0
    for config in CASES:
        model, ctx, plan = setup(config)
        if not probes[name].meta["applies"](plan.info):
            continue
        read, model = reader(config, name)
        for step in (0, 10):
            reading = read(model, step)
            if reading is not None:
                found += 1
                assert len(dumps(reading)) < MAX_BYTES, (name, config["model"])
    assert found, f"no case here gives '{name}' a reading: add one to CASES"


def test_histograms_count_every_weight_and_keep_a_bounded_history():
    read, model = reader(CASES[0], "histograms", bins=16, columns=6)
    for step in range(0, 200, 10):
        reading = read(model, step)
    assert reading["layers"] == ["fc.0", "fc.1", "fc.2"]
    for name, weight in (("fc.0", model[1].weight), ("fc.2", model[5].weight)):
        strip = reading["weights"][name]
        assert 4 <= len(strip["steps"]) <= 6 and strip["steps"][-1] == 190
        assert len(base64.b64decode(strip["z"])) == len(strip["steps"]) * 16
        assert sum(strip["counts"]) == weight.numel()
        assert strip["hi"] == -strip["lo"] >= weight.abs().max().item()
        assert sum(reading["grads"][name]["counts"]) == weight.grad.numel()


def test_histogram_range_doubles_without_losing_counts():
    read, model = reader(CASES[0], "histograms", bins=16)
    read(model, 0)
    with torch.no_grad():
        model[1].weight.mul_(10)
    reading = read(model, 10)
    strip = reading["weights"]["fc.0"]
    z = np.frombuffer(base64.b64decode(strip["z"]), dtype=np.uint8).reshape(2, 16)
    assert strip["hi"] >= model[1].weight.abs().max().item()
    assert z[0, :4].sum() == 0 and z[0, -4:].sum() == 0  # the old column now sits in the middle half


def test_feature_maps_are_the_conv_outputs():
    read, model = reader(CASES[1], "feature_maps", sample=3)
    first = read(model, 0)
    assert [layer["name"] for layer in first["layers"]] == ["conv.0", "conv.1", "conv.2"]
    assert [(m["n"], m["h"], m["w"]) for m in first["layers"]] == [(16, 16, 16), (32, 8, 8), (32, 4, 4)]
    assert (first["kernels"]["n"], first["kernels"]["h"], first["kernels"]["w"]) == (16, 3, 3)
    _, ctx, _ = setup(CASES[1])
    model.eval()
    with torch.no_grad():
        expected = model[0](ctx.data.x_val[3:4])[0].numpy()
    got = decoded(first["layers"][0])
    assert np.abs(got - expected).max() <= (expected.max() - expected.min()) / 500
    assert np.allclose(decoded(first["input"])[0], ctx.data.x_val[3, 0].numpy(), atol=0.05)
    assert "input" not in read(model, 10)  # sent once; the history keeps it under later readings


def test_feature_maps_of_a_signal_cnn_are_rows():
    read, model = reader(CASES[2], "feature_maps")
    layer = read(model, 0)["layers"][0]
    assert (layer["n"], layer["h"], layer["w"]) == (16, 1, 40)


def test_a_network_without_the_layer_a_probe_reads_sends_nothing():
    image_mlp = body({"name": "shapes", "params": {"n_samples": 100}}, "mlp")
    read, model = reader(image_mlp, "feature_maps")
    assert read(model, 0)["layers"] == [] and read(model, 10) is None
    read, model = reader(CASES[4], "attention")  # an LSTM
    assert read(model, 0) is None
    read, model = reader(CASES[5], "gates")  # a Transformer
    assert read(model, 0) is None


def test_dead_relus_are_counted():
    read, model = reader(CASES[0], "activation_stats")
    with torch.no_grad():
        model[1].bias.fill_(-100.0)  # every unit of the first hidden layer is negative: all dead
    reading = read(model, 0)
    assert reading["layers"] == ["2", "4"]
    assert reading["series"]["2"]["dead"] == [1.0]
    assert reading["series"]["2"]["mean"] == [0.0]
    assert 0.0 <= reading["series"]["4"]["dead"][0] < 1.0


def test_pre_activations_are_counted_under_each_unit_curve():
    read, model = reader(CASES[0], "activation_stats", samples=64)
    with torch.no_grad():
        model[1].bias.fill_(-100.0)  # the first layer's pre-activations all lie far on the dead side
    reading = read(model, 0)
    assert reading["functions"] == {"2": "relu", "4": "relu"} and reading["input_range"] == [-6.0, 6.0]
    first, second = reading["inputs"]["2"], reading["inputs"]["4"]
    width = model[1].out_features
    assert sum(first) == 64 * width and first[0] == 64 * width  # piled in the lowest bin
    assert sum(second) == 64 * model[3].out_features and second[0] < sum(second)


def test_batch_norm_shows_batch_and_running_statistics():
    config = body({"name": "moons", "params": {"n_samples": 200}}, {"name": "mlp", "params": {"norm": "batch"}})
    read, model = reader(config, "activation_stats", samples=64)
    names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm1d)]
    fresh = read(model, 0)["batch_norm"]
    assert list(fresh) == names
    stats = fresh[names[0]]
    # one training batch seen: the running averages are still far from what this batch has
    gap = np.abs(np.subtract(stats["batch_mean"], stats["running_mean"])).max()
    assert len(stats["running_mean"]) == 16 and gap > 0.05
    x = setup(config)[1].data.x_val[:64]
    model.train()
    with torch.no_grad():
        for _ in range(200):  # running averages converge to the statistics of the batch they keep seeing
            model(x)
    settled = read(model, 1)["batch_norm"][names[0]]
    assert np.allclose(settled["running_mean"], settled["batch_mean"], atol=1e-3)
    assert np.allclose(settled["running_var"], settled["batch_var"], rtol=0.05, atol=1e-3)


def test_attention_rows_sum_to_one():
    read, model = reader(CASES[5], "attention")
    reading = read(model, 0)
    maps = decoded(reading)
    assert maps.shape == (4, 8, 8) and reading["heads"] == 4 and len(reading["tokens"]) == 8
    assert np.allclose(maps.sum(2), 1.0, atol=8 * max(reading["hi"]) / 255)


@pytest.mark.parametrize("cell", [torch.nn.LSTM, torch.nn.GRU])
def test_gates_reproduce_the_layer_output(cell):
    torch.manual_seed(0)
    core = cell(3, 5, batch_first=True)
    x = torch.randn(2, 7, 3)
    with torch.no_grad():
        gates = recurrent_gates(core, x)
        outputs, _ = core(x)
    assert torch.allclose(gates["h"], outputs[0], atol=1e-5)
    names = ["i", "f", "g", "o"] if cell is torch.nn.LSTM else ["r", "z", "n"]
    assert list(gates) == [*names, "h"] and all(gates[n].shape == (7, 5) for n in names)


def test_gates_reading_draws_every_gate():
    read, model = reader(CASES[4], "gates")
    reading = read(model, 0)
    assert reading["cell"] == "LSTM" and reading["gates"] == ["i", "f", "g", "o", "h"]
    assert (reading["n"], reading["h"], reading["w"]) == (5, 8, 20)
    assert all(len(reading["means"][g]) == 20 for g in "ifgo")


def test_confusion_matrix_counts_the_validation_split():
    read, model = reader(CASES[1], "confusion_matrix")
    _, ctx, _ = setup(CASES[1])
    reading = read(model, 0)
    matrix = np.array(reading["matrix"])
    assert matrix.shape == (5, 5) and matrix.sum() == len(ctx.data.x_val)
    assert matrix.sum(1).tolist() == torch.bincount(ctx.data.y_val, minlength=5).tolist()


def test_test_samples_send_images_once_and_predictions_each_time():
    read, model = reader(CASES[1], "test_samples", count=9)
    first, later = read(model, 0), read(model, 10)
    assert first["samples"]["n"] == 9 and len(first["samples"]["labels"]) == 9
    assert "samples" not in later and len(later["predicted"]) == 9
    assert all(0.0 <= c <= 1.0 for c in later["confidence"])


def test_fit_curve_and_forecast_shapes():
    read, model = reader(CASES[3], "fit_curve", resolution=50)
    first = read(model, 0)
    assert len(first["y"]) == 50 and first["x0"] < first["x1"] and len(first["points"]["train"]["x"]) > 0
    assert "points" not in read(model, 10)
    read, model = reader(CASES[4], "forecast", sequences=3, scatter=10)
    first = read(model, 0)
    assert len(first["predictions"]) == 3 and len(first["series"]["windows"][0]) == 20
    assert len(first["scatter_predicted"]) == len(first["series"]["scatter_true"]) == 10


def test_the_boundary_sends_its_points_with_the_first_reading_wherever_the_run_begins():
    read, model = reader(body("moons", "mlp"), "decision_boundary")
    first = read(model, 1200)  # a continued run's first reading is not at step 0
    assert len(first["points"]["x"]) == len(first["points"]["label"]) > 0
    assert "points" not in read(model, 1210)
