"""Issue 14 in a browser: the new catalog fields render in the builder, and the activation lesson draws each unit's
curve and slope (builder) with the pre-activations under it and batch norm's statistics (run page)."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.conftest import wait_for


def _options(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(f"{selector} option", "os => os.map(o => o.value)")


def test_the_new_fields_render_in_the_builder(page, live_server):
    page.goto(live_server + "/")
    expect(page.locator("[name='train.manifold_mixup_alpha']")).to_be_visible()
    expect(page.locator("[name='train.augment.rotate']")).to_be_attached()
    assert {"lecun_normal", "lecun_uniform"} <= set(_options(page, "#section-init select.component"))
    assert _options(page, "[name='model.params.norm']") == ["none", "batch", "layer"]  # the mlp
    page.select_option("#section-optimizer select.component", "momentum")
    expect(page.locator("[name='optimizer.params.dampening']")).to_have_value("0.0", timeout=20_000)
    expect(page.locator("#section-optimizer .katex").first).to_be_visible()
    page.select_option("#section-dataset select.component", "volumes")
    expect(page.locator("[name='dataset.params.size']")).to_be_visible(timeout=20_000)
    page.select_option("#section-model select.component", "cnn")
    expect(page.locator("#plan table.layers")).to_contain_text("Conv3d", timeout=20_000)
    expect(page.locator("#plan table.layers")).to_contain_text("[16, 16, 16, 16]")
    assert _options(page, "[name='model.params.norm']") == ["none", "batch", "layer"]
    page.select_option("#section-dataset select.component", "sequence_tagging")
    page.select_option("#section-model select.component", "gru")
    expect(page.locator("[name='model.params.output']")).to_have_value("auto", timeout=20_000)
    assert _options(page, "[name='model.params.output']") == ["auto", "last", "mean", "sequence"]
    # the cnn cannot read sequences: the builder greys it out
    assert page.eval_on_selector("#section-model option[value=cnn]", "o => o.disabled")


def test_the_builder_draws_the_chosen_activation_and_its_slope(page, live_server):
    page.goto(live_server + "/")
    chart = "document.getElementById('activation-curve')"
    page.wait_for_function(f"{chart}.data?.length === 2")
    assert page.evaluate(f"{chart}.data.map(t => t.name)") == ["relu(x)", "relu′(x)"]
    page.select_option("[name='model.params.activation']", "sigmoid")
    page.wait_for_function(f"{chart}.data[0].name === 'sigmoid(x)'")
    slope = page.evaluate(f"{chart}.data[1].y")
    assert max(slope) == 0.25 and slope[0] < 0.01  # flat (saturated) at the ends, steepest at 0


def test_the_run_page_draws_pre_activations_under_the_curve_and_batch_norm_statistics(page, live_server):
    config = {
        "dataset": {"name": "moons", "params": {"n_samples": 300}},
        "model": {"name": "mlp", "params": {"activation": "sigmoid", "norm": "batch"}},
        "loss": {"name": "cross_entropy"}, "optimizer": {"name": "adam", "params": {"lr": 0.01}},
        "train": {"steps": 60, "batch_size": 32, "eval_every": 10},
    }
    run_id = httpx.post(live_server + "/api/runs", json=config, timeout=60).json()["id"]
    wait_for(lambda: httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"] == "completed", 120)
    page.goto(f"{live_server}/runs/{run_id}")
    panel = page.locator("#panel-activations")
    expect(panel).to_be_visible(timeout=30_000)
    panel.locator("summary").click()
    curves = "[...document.querySelectorAll('#panel-activations [data-part=functions] .chart')]"
    page.wait_for_function(f"{curves}.length === 2 && {curves}.every(c => c.data?.length === 3)")
    kinds = page.evaluate(f"{curves}[0].data.map(t => t.type || 'scatter')")
    assert kinds == ["scatter", "scatter", "bar"]  # the unit, its slope, and the layer's inputs under them
    shares = page.evaluate(f"{curves}[0].data[2].y")
    assert abs(sum(shares) - 1) < 1e-6
    norms = "[...document.querySelectorAll('#panel-activations [data-part=batch-norm] .chart')]"
    page.wait_for_function(f"{norms}.length === 2 && {norms}.every(c => c.data?.length === 4)")
    names = page.evaluate(f"{norms}[0].data.map(t => t.name)")
    assert names[0].startswith("this batch") and names[1].startswith("running average")


def test_the_batch_size_preset_races_sgd_mbgd_and_bgd_for_the_same_epochs(page, live_server):
    page.goto(live_server + "/")
    page.fill("[name='dataset.params.n_samples']", "200")
    page.click("#race-preset-batch-size")
    page.wait_for_url("**/compare/*", timeout=30_000)
    labels = page.eval_on_selector_all("#ranking tr[data-member] td:nth-child(3)", "ts => ts.map(t => t.textContent)")
    assert labels == ["train.batch_size=1", "train.batch_size=32", "train.batch_size=full"]
    comparison = httpx.get(live_server + "/api/comparisons/" + page.url.rsplit("/", 1)[1], timeout=30).json()
    configs = [httpx.get(f"{live_server}/api/runs/{m['id']}", timeout=30).json()["config"]["train"]
               for m in comparison["members"]]
    assert {c["epochs"] for c in configs} == {10} and all(c.get("steps") is None for c in configs)
    lesson = page.locator("#lesson-batch-size")
    expect(lesson).to_contain_text("never settles")
    expect(lesson).to_contain_text("powers of 2")
    page.click("#lesson-batch-size [data-x-axis=epoch]")
    assert page.eval_on_selector("#curve-controls [name=x_axis]", "s => s.value") == "epoch"
