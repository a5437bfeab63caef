"""What the curves say is true: smoothing that respects step gaps, markers on sparse series, whole step counts,
the verdict as the engine gave it, the test score in every table, and no accuracy chart for regression."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.browser.test_panels import start
from tests.conftest import run_config

# three validation points far apart on a run logged every 10 steps (the CNN: 0, ~560, ~1120)
SPARSE = """([values, smoothing]) => new Promise((resolve) => {
    const div = document.createElement('div'); document.body.appendChild(div);
    const chart = new Curves.CurveChart(div, 'sparse', {draw: false, unit: 10});
    chart.add('val_acc', 'val_acc', '#000');
    const step = [0, 560, 1120];
    chart.setData('val_acc', {step, epoch: step, time: step, value: values});
    Curves.setOptions({smoothing});
    const poll = () => div.data ? resolve(div.data.filter(t => t.name === 'val_acc')[0]) : setTimeout(poll, 20);
    poll();
})"""


def test_three_far_apart_points_are_barely_pulled_back_and_drawn_with_markers(page, live_server):
    run_id = start(live_server, run_config(train={"steps": 20}))
    page.goto(f"{live_server}/runs/{run_id}")
    page.wait_for_function("document.getElementById('chart-loss').data?.length > 0")
    trace = page.evaluate(SPARSE, [[0.1, 0.9, 0.97], 0.9])
    assert abs(trace["y"][-1] - 0.97) <= 0.05 * 0.97  # an index-based EMA gave 0.7 here
    assert trace["y"][0] == 0.1  # debiased: the first point is the raw value
    assert "markers" in trace["mode"]
    # a dense series still smooths as TensorBoard's EMA does
    dense = page.evaluate("""() => Curves.smooth([1, 0, 1, 0], 0.5, [0, 10, 20, 30], 10)""")
    assert abs(dense[1] - 1 / 3) < 1e-12  # (0.5·1 + 0.5·0) / (1 − 0.25)


def test_a_constant_series_is_returned_unchanged(page, live_server):
    run_id = start(live_server, run_config(train={"steps": 20}))
    page.goto(f"{live_server}/runs/{run_id}")
    page.wait_for_function("window.Curves !== undefined")
    smoothed = page.evaluate("""() => {
        const steps = [...Array(500).keys()].map(i => 10 * i + (i > 250 ? 700 : 0));
        return Curves.smooth(steps.map(() => 0.1), 0.999, steps, 10);
    }""")
    assert set(smoothed) == {0.1}  # not 0.09999999999999999 anywhere


def test_steps_are_whole_numbers_on_axes_and_in_tables(page, live_server):
    run_id = start(live_server, run_config(train={"steps": 12_000, "eval_every": 100}))
    page.goto(f"{live_server}/runs/{run_id}")
    expect(page.locator("#run-summary [data-summary=steps]")).to_have_text("12 000")
    # the chart may first draw a few early points: wait until its axis spans the run
    page.wait_for_function("(document.getElementById('chart-loss')._fullLayout?.xaxis?.range?.[1] ?? 0) >= 10000")
    ticks = page.evaluate("document.getElementById('chart-loss')._fullLayout.xaxis._vals.map(v => v.text)")
    assert "10 000" in ticks and not any("e+" in t or t.endswith("k") for t in ticks), ticks


def test_the_verdict_is_the_engines_and_the_test_score_is_in_every_table(page, live_server):
    run_id = start(live_server, run_config(train={"steps": 300}))
    run = httpx.get(f"{live_server}/api/runs/{run_id}").json()
    summary = run["summary"]
    page.goto(f"{live_server}/runs/{run_id}")
    box = page.locator("#fit-diagnosis")
    expect(box).to_have_attribute("data-fit", summary["fit"])
    expect(box).to_contain_text("eval mode")
    expect(page.locator("#run-summary [data-summary=test_acc]")).to_have_text(f"{summary['test_acc']:.4g}")
    page.goto(f"{live_server}/runs")
    row = page.locator(f"tr[data-run='{run_id}']")
    expect(row.locator("[data-summary=test_loss]")).to_have_text(f"{summary['test_loss']:.4g}")
    page.goto(f"{live_server}/compare?runs={run_id}")
    expect(page.locator(f"tr[data-member='{run_id}'] [data-summary=test_acc]")).to_have_text(
        f"{summary['test_acc']:.4g}")
    exported = httpx.get(f"{live_server}/api/runs/{run_id}/metrics?format=json").json()
    assert exported["test"] == {k: summary[k] for k in ("test_loss", "test_acc", "test_samples")}
    csv = httpx.get(f"{live_server}/api/runs/{run_id}/metrics?format=csv").text.splitlines()
    header, last = csv[0].split(","), csv[-1].split(",")
    assert float(last[header.index("test_acc")]) == summary["test_acc"]


def test_a_regression_run_has_no_accuracy_chart(page, live_server):
    run_id = start(live_server, run_config(dataset={"name": "sine"}, loss={"name": "mse"}, train={"steps": 40}))
    page.goto(f"{live_server}/runs/{run_id}")
    page.wait_for_function("document.getElementById('chart-loss').data?.length > 0")
    expect(page.locator("[data-chart=acc]")).to_have_count(0)
    page.goto(f"{live_server}/compare?runs={run_id}")
    expect(page.locator("[data-chart=val_acc]")).to_have_count(0)
    expect(page.locator("[data-chart=val_loss]")).to_have_count(1)
    assert re.search(r"test_loss|test loss", page.content())
