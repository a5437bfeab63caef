"""The lab page in a browser: click a start point, run two optimizers, watch their paths; a shared config's
gradient check."""

from __future__ import annotations

import base64
import json

from playwright.sync_api import expect

from tests.conftest import run_config

PATH_TRACES = "document.getElementById('lab-plot').data.filter((t) => t.meta === 'path')"


def test_click_a_start_and_watch_two_paths(page, live_server):
    page.goto(live_server + "/lab")
    page.wait_for_function("document.getElementById('lab-plot').dataset.surface === 'ravine'")
    expect(page.locator("#lab-contour .contour")).to_have_count(1)
    assert page.evaluate("document.getElementById('lab-plot').data.length") == 2  # minima and start
    expect(page.locator("#start-point")).to_have_text("(-5.000, 2.000)")  # the ravine's default start
    for name in ("sgd", "momentum", "adam"):
        expect(page.locator(f"#use-{name}")).to_be_checked()
    page.uncheck("#use-adam")
    page.fill("[data-lr-for='momentum']", "0.02")

    area = page.locator("#lab-plot .nsewdrag").bounding_box()  # the plotting area, inside the axes
    page.mouse.click(area["x"] + area["width"] * 0.75, area["y"] + area["height"] * 0.25)
    clicked = page.evaluate("document.getElementById('lab-plot').data[1].x[0]"), page.evaluate(
        "document.getElementById('lab-plot').data[1].y[0]")
    assert 2.0 < clicked[0] < 4.0 and 0.8 < clicked[1] < 2.2  # 3/4 across [-6, 6], 1/4 down [-3, 3]
    expect(page.locator("#start-point")).to_have_text(f"({clicked[0]:.3f}, {clicked[1]:.3f})")

    page.click("#run-paths")
    page.wait_for_function(f"{PATH_TRACES}.length === 2 && {PATH_TRACES}.every((t) => t.x.length > 10)")
    page.wait_for_function(f"{PATH_TRACES}.every((t) => t.x.length === 101)")  # the animation reaches the end
    traces = page.evaluate(f"{PATH_TRACES}.map((t) => ({{name: t.name, x: t.x, y: t.y}}))")
    assert [t["name"].split()[0] for t in traces] == ["sgd", "momentum"]
    assert all((t["x"][0], t["y"][0]) == clicked for t in traces)  # both start where the click was
    assert traces[0]["x"] != traces[1]["x"]
    expect(page.locator("#lab-loss .scatterlayer .trace")).to_have_count(2)
    expect(page.locator("#lab-contour .contour")).to_have_count(1)  # the surface is still under the paths
    expect(page.locator("#lab-plot .legend .traces")).to_have_count(4)  # minima, start and the two paths


def test_a_shared_config_link_shows_its_gradient_check(page, live_server):
    config = run_config(model={"name": "mlp", "params": {"hidden_layers": [8], "activation": "tanh"}})
    encoded = base64.urlsafe_b64encode(json.dumps(config).encode()).decode().rstrip("=")
    page.goto(f"{live_server}/lab?config={encoded}")
    expect(page.locator("#gradcheck-verdict")).to_contain_text("gradients agree", timeout=30_000)
    expect(page.locator("#gradcheck-result table tr")).to_have_count(5)  # header + 2 weights + 2 biases
    assert json.loads(page.input_value("#config-json"))["model"]["params"]["hidden_layers"] == [8]


def test_the_range_test_polls_until_its_run_has_ended(page, live_server):
    page.goto(live_server + "/lab")
    page.click("#run-range")
    # the answers while points are few (409) and after say whether the run has ended: the page stops polling then
    expect(page.locator("#range-suggestion")).to_be_visible(timeout=60_000)
    expect(page.locator("#range-status")).to_contain_text("completed, 200 steps", timeout=60_000)


def test_a_noisy_gradient_draws_the_exact_paths_beside_the_noisy_ones(page, live_server):
    page.goto(live_server + "/lab")
    page.wait_for_function("document.getElementById('lab-plot').dataset.surface === 'ravine'")
    page.uncheck("#use-adam")
    page.fill("#path-noise", "3")
    page.fill("#path-seed", "4")
    page.click("#run-paths")
    exact = "document.getElementById('lab-plot').data.filter((t) => t.meta === 'exact')"
    page.wait_for_function(f"{PATH_TRACES}.length === 2 && {PATH_TRACES}.every((t) => t.x.length === 101)")
    page.wait_for_function(f"{exact}.length === 2")
    noisy = page.evaluate(f"{PATH_TRACES}.map((t) => ({{name: t.name, x: t.x}}))")
    smooth = page.evaluate(f"{exact}.map((t) => t.x)")
    assert all("σ=3" in t["name"] for t in noisy)
    assert all(len(x) == 101 for x in smooth) and noisy[0]["x"] != smooth[0]
    assert noisy[0]["x"][0] == smooth[0][0]  # both from the same start
