"""The panels inside a run, in a real browser: feature maps, per-layer gradients, and the smoothing slider."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.conftest import run_config, wait_for

SHAPES_CNN = {
    "dataset": {"name": "shapes", "params": {"n_samples": 400}}, "model": {"name": "cnn"},
    "loss": {"name": "cross_entropy"}, "optimizer": {"name": "adam", "params": {"lr": 0.003}},
    "train": {"steps": 60, "batch_size": 32, "eval_every": 10},
}
NAMED_TRACES = "(document.querySelector('{}').data || []).filter(t => t.showlegend !== false)"


def start(live_server: str, config: dict, finished: bool = True) -> str:
    run_id = httpx.post(live_server + "/api/runs", json=config, timeout=60).json()["id"]
    if finished:
        wait_for(lambda: httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"] == "completed", 120)
    return run_id


def test_feature_map_panel_shows_images_of_a_cnn_run(page, live_server):
    run_id = start(live_server, SHAPES_CNN)
    page.goto(f"{live_server}/runs/{run_id}")  # reopened from history
    panel = page.locator("#panel-feature-maps")
    expect(panel).to_be_visible()
    panel.locator("summary").click()
    maps = panel.locator("canvas.map")
    expect(maps).to_have_count(1 + 16 + 32 + 32 + 16)  # input, three conv layers' maps, the first kernels
    painted = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return c.width > 0 && new Set(Array.from(d.filter((_, i) => i % 4 === 0))).size > 2; }"""
    assert maps.nth(1).evaluate(painted)  # a conv map drawn with more than two colours
    before = maps.nth(17).evaluate("c => c.toDataURL()")
    page.select_option("#panel-feature-maps [name=map_scale]", "map")
    page.wait_for_function("(u) => document.querySelectorAll('#panel-feature-maps canvas.map')[17].toDataURL() !== u",
                           arg=before)
    expect(page.locator("#panel-predictions")).to_be_visible()  # confusion matrix and test samples arrived too


def test_gradient_chart_has_one_trace_per_layer_live(page, live_server):
    run_id = start(live_server, run_config(train={"steps": 4000}), finished=False)
    page.goto(f"{live_server}/runs/{run_id}")
    panel = page.locator("#panel-gradients")
    expect(panel).to_be_visible(timeout=30_000)
    panel.locator("summary").click()
    traces = NAMED_TRACES.format("[data-chart=layers-grad]")
    page.wait_for_function(f"{traces}.length === 3 && {traces}.every(t => t.x.length >= 3)", timeout=60_000)
    assert page.evaluate(f"{traces}.map(t => t.name)") == ["fc.0", "fc.1", "fc.2"]  # mlp [16, 16]: named by module
    assert page.evaluate(f"{NAMED_TRACES.format('[data-chart=layers-update]')}.length") == 3
    wait_for(lambda: httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"] == "completed", 120)
    page.reload()  # the same chart from the stored history
    page.locator("#panel-gradients summary").click()
    # steps 10, 20, ..., 4000: a gradient exists from the first step on
    page.wait_for_function(f"{traces}.length === 3 && {traces}.every(t => t.x.length === 400)")
    expect(page.locator("#fit-diagnosis")).to_contain_text("fit")


def test_smoothing_slider_changes_the_drawn_curve(page, live_server):
    run_id = start(live_server, run_config(train={"steps": 300}))
    page.goto(f"{live_server}/runs/{run_id}")
    trace = "document.getElementById('chart-loss').data.find(t => t.name === 'train_loss')"
    page.wait_for_function(f"({trace} || {{y: []}}).y.length === 31")
    before = page.evaluate(f"{trace}.y")
    page.evaluate("""() => { const s = document.querySelector('#curve-controls [name=smoothing]');
        s.value = '0.95'; s.dispatchEvent(new Event('input')); }""")
    page.wait_for_function(f"JSON.stringify({trace}.y) !== JSON.stringify({before})")
    after = page.evaluate(f"{trace}.y")
    assert len(after) == len(before) and after[0] == before[0]  # debiased: the first point is the raw value
    wiggle = lambda ys: sum(abs(b - a) for a, b in zip(ys, ys[1:], strict=False))  # noqa: E731
    assert wiggle(after) < wiggle(before)  # smoother: the curve travels less up and down


def test_a_long_series_is_drawn_thinned_with_its_spikes_and_last_point(page, live_server):
    run_id = start(live_server, run_config(train={"steps": 300}))
    page.goto(f"{live_server}/runs/{run_id}")
    page.wait_for_function("document.getElementById('chart-loss').data?.length > 0")
    # 100 000 points with one spike and one dip, drawn on the page's own chart class
    drawn = page.evaluate("""() => new Promise((resolve) => {
        const div = document.createElement('div'); document.body.appendChild(div);
        const chart = new Curves.CurveChart(div, 'long', {draw: false});
        chart.add('y', 'y', '#000');
        const n = 100000, step = [], value = [];
        for (let i = 0; i < n; i++) { step.push(i); value.push(Math.sin(i / 500)); }
        value[31337] = 50; value[77777] = -50;
        chart.setData('y', {step, epoch: step, time: step, value});
        Curves.setOptions({smoothing: 0});
        const poll = () => div.data ? resolve(div.data.find(t => t.name === 'y')) : setTimeout(poll, 20);
        poll();
    })""")
    assert 1000 <= len(drawn["y"]) <= 1202
    assert max(drawn["y"]) == 50 and min(drawn["y"]) == -50  # the spike and the dip survive the thinning
    assert drawn["x"][0] == 0 and drawn["x"][-1] == 99999
    assert drawn["x"] == sorted(drawn["x"])


def test_one_spike_does_not_set_the_scale_unless_outliers_count(page, live_server):
    run_id = start(live_server, run_config(train={"steps": 20}))
    page.goto(f"{live_server}/runs/{run_id}")
    page.wait_for_function("document.getElementById('chart-loss').data?.length > 0")
    top = """() => new Promise((resolve) => {
        const div = document.getElementById('chart-loss');
        const chart = Curves.charts.find((c) => c.div === div);
        const step = [...Array(200).keys()], value = step.map((i) => 1 - i / 400);
        value[3] = 1000;  // one member's early blow-up
        chart.setData('train_loss', {step, epoch: step, time: step, value});
        chart.redraw();
        resolve(div._fullLayout.yaxis.range[1]);
    })"""
    assert page.evaluate(top) < 2  # the curve's own range, padded
    page.uncheck("#curve-controls [name=ignore_outliers]")
    assert page.evaluate(top) > 900  # every point counts again
