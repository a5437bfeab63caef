"""Pictures on a run's diagram: every unit of a moons MLP as a map of the plane, redrawn live, the weights as edges;
a CNN's conv node showing its feature maps when clicked."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.test_diagram_run import finished_run
from tests.conftest import run_config, wait_for

DIAGRAM = "#network-diagram"
MOONS_2x8 = {"name": "mlp", "params": {"hidden_layers": [8, 8]}}


def test_each_unit_is_a_picture_of_the_plane_and_the_weights_are_edges(page, live_server):
    run_id = finished_run(live_server, run_config(model=MOONS_2x8, train={"steps": 200}))
    page.goto(f"{live_server}/runs/{run_id}")
    reading = httpx.get(f"{live_server}/api/runs/{run_id}/history").json()["probes"]["neurons"]["data"]
    units = {layer["name"]: layer["units"] for layer in reading["layers"]}
    # x₁ x₂, each Linear and ReLU, the two logits: named as the other probes name them
    assert units == {"flatten": 2, "fc.0": 8, "relu.0": 8, "fc.1": 8, "relu.1": 8, "fc.2": 2}
    expect(page.locator(f"{DIAGRAM} svg.neuron")).to_have_count(sum(units.values()), timeout=20_000)
    for name, count in units.items():
        expect(page.locator(f"{DIAGRAM} g.neurons[data-of='{name}'] svg.neuron")).to_have_count(count)
    lines = page.locator(f"{DIAGRAM} line.weight")
    expect(lines).to_have_count(2 * 8 + 8 * 8 + 8 * 2)
    drawn = lines.evaluate_all("ls => ls.map(l => [Number(l.dataset.w), l.getAttribute('stroke')])")
    weights = [w for name in ("fc.0", "fc.1", "fc.2") for row in reading["weights"][name] for w in row]
    assert sorted(w for w, _ in drawn) == sorted(weights)
    assert {stroke for w, stroke in drawn if w < 0} == {"#2563eb"} and {s for w, s in drawn if w > 0} == {"#ea580c"}
    image = page.locator(f"{DIAGRAM} g.neurons[data-of='relu.0'] image").first.get_attribute("href")
    assert image == "data:image/png;base64," + next(la["png"] for la in reading["layers"] if la["name"] == "relu.0")
    assert page.locator(f"{DIAGRAM} [data-shown='relu.0']").get_attribute("data-layer") == "2"  # under its node


def test_the_pictures_follow_the_training_live(page, live_server):
    config = run_config(model=MOONS_2x8, train={"steps": 20_000, "eval_every": 10})
    run_id = httpx.post(live_server + "/api/runs", json=config, timeout=60).json()["id"]
    try:
        page.goto(f"{live_server}/runs/{run_id}")
        host = page.locator(DIAGRAM)
        page.wait_for_function(f"document.querySelector('{DIAGRAM}').dataset.neuronStep !== undefined", timeout=30_000)
        first = int(host.get_attribute("data-neuron-step"))
        page.wait_for_function(f"Number(document.querySelector('{DIAGRAM}').dataset.neuronStep) > {first}",
                               timeout=60_000)
        assert page.locator(f"{DIAGRAM} svg.neuron").count() == 36
    finally:
        httpx.post(f"{live_server}/api/runs/{run_id}/control", json={"action": "stop"}, timeout=30)
        # a loaded machine may have trained all 20 000 steps before the stop arrives
        wait_for(lambda: httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"] in ("stopped", "completed"), 60)


def test_a_conv_node_shows_its_feature_maps(page, live_server):
    from tests.browser.test_panels import SHAPES_CNN

    run_id = finished_run(live_server, SHAPES_CNN)
    page.goto(f"{live_server}/runs/{run_id}")
    reading = httpx.get(f"{live_server}/api/runs/{run_id}/history").json()["probes"]["feature_maps"]["data"]
    first = reading["layers"][0]
    page.locator(f"{DIAGRAM} [data-shown='{first['name']}']").click()
    detail = page.locator("#diagram-detail")
    expect(detail).to_be_visible()
    expect(detail.locator("svg.map")).to_have_count(first["n"])
    expect(detail).to_contain_text(f"{first['name']}: {first['n']} of {first['channels']} feature maps")
