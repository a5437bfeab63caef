"""#19 item 8: a 1-D CNN's feature maps are one heat map per layer (a row per channel), and every panel keeps a
bounded height with its own scroll (a MNIST-1D CNN's feature-map panel was ~7 000 px tall)."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.conftest import wait_for

MNIST1D_CNN = {
    "dataset": {"name": "mnist1d"}, "model": {"name": "cnn"}, "loss": {"name": "cross_entropy"},
    "optimizer": {"name": "adam", "params": {"lr": 0.003}}, "train": {"steps": 40, "batch_size": 32, "eval_every": 20},
}


def test_1d_feature_maps_are_one_heat_map_per_layer_in_a_bounded_panel(page, live_server):
    run_id = httpx.post(live_server + "/api/runs", json=MNIST1D_CNN, timeout=60).json()["id"]
    wait_for(lambda: httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"] == "completed", 180)
    page.goto(f"{live_server}/runs/{run_id}")
    panel = page.locator("#panel-feature-maps")
    panel.locator("summary").click()
    layers = panel.locator(".maps-layer")
    expect(layers.first).to_be_visible()
    page.wait_for_function("document.querySelectorAll('#panel-feature-maps .maps-layer').length >= 4")
    # input, every conv layer and the kernels: each one canvas whose rows are the channels
    count = layers.count()
    assert panel.locator("canvas").count() == count
    assert panel.locator("canvas.map-rows").count() == count
    sizes = "cs => cs.map(c => [c.height, c.getBoundingClientRect().height])"
    rows = panel.locator("canvas.map-rows").evaluate_all(sizes)
    assert any(channels > 1 for channels, _ in rows)
    assert all(0 < shown <= 241 for _, shown in rows), rows
    viewport = page.viewport_size["height"]
    body = panel.locator(".panel-body")
    height = body.evaluate("b => b.getBoundingClientRect().height")
    assert height <= 0.7 * viewport + 1, height
    assert body.evaluate("b => getComputedStyle(b).overflowY") == "auto"
    # every other panel is bounded the same way (the gradients panel of the same run)
    page.locator("#panel-gradients summary").click()
    grads = page.locator("#panel-gradients .panel-body")
    expect(grads.locator(".js-plotly-plot").first).to_be_visible()
    assert grads.evaluate("b => b.getBoundingClientRect().height") <= 0.7 * viewport + 1
