"""A person builds a run in the browser, presses Train and watches it finish."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_builder_train_and_watch_live(page, live_server):
    page.goto(live_server + "/")
    page.select_option("#section-dataset select.component", "circles")
    expect(page.locator("#section-dataset [name='dataset.params.noise']")).to_be_visible()
    page.fill("[name='dataset.params.noise']", "0.1")
    page.fill("[name='model.params.hidden_layers']", "16, 8")
    page.select_option("[name='model.params.activation']", "tanh")
    page.select_option("#section-optimizer select.component", "momentum")
    expect(page.locator("[name='optimizer.params.momentum']")).to_have_value("0.9")
    page.fill("[name='optimizer.params.lr']", "0.1")
    page.fill("[name='train.steps']", "600")
    page.fill("input.run-name", "circles from the browser")
    page.click("#train-button")
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    drawn = "(document.getElementById('chart-loss').data || []).find(t => t.name === 'train_loss')"
    page.wait_for_function(f"({drawn} || {{x: []}}).x.length >= 20", timeout=180_000)
    expect(page.locator("#run-status")).to_have_text("completed", timeout=180_000)
    page.wait_for_function(f"{drawn}.x.length === 61", timeout=10_000)  # steps 0, 10, ..., 600
    expect(page.locator("#chart-boundary .heatmaplayer, #chart-boundary .hm")).not_to_have_count(0)
    expect(page.locator(".summary")).to_be_visible()
    page.goto(live_server + "/runs")
    expect(page.locator("table.runs")).to_contain_text("circles from the browser")


def test_builder_shows_field_errors_from_the_server(page, live_server):
    page.goto(live_server + "/")
    page.fill("[name='optimizer.params.lr']", "-1")
    page.click("#train-button")
    expect(page.locator("[data-error-for='optimizer.params.lr']")).to_contain_text("greater than 0")
    assert "/runs/" not in page.url


def test_a_shared_link_recreates_the_builder(page, live_server):
    page.goto(live_server + "/")
    page.select_option("#section-dataset select.component", "spiral")
    expect(page.locator("[name='dataset.params.turns']")).to_be_visible()
    page.fill("[name='dataset.params.turns']", "2.5")
    page.select_option("#section-optimizer select.component", "rmsprop")
    expect(page.locator("[name='optimizer.params.alpha']")).to_be_visible()
    page.fill("[name='optimizer.params.alpha']", "0.95")
    page.check("[name='train.early_stopping']")
    page.fill("[name='train.early_stopping.patience']", "7")
    page.fill("[name='train.steps']", "1234")
    shared = page.evaluate("location.href")
    assert "?config=" in shared

    fresh = page.context.new_page()
    fresh.goto(shared)
    expect(fresh.locator("#section-dataset select.component")).to_have_value("spiral")
    expect(fresh.locator("[name='dataset.params.turns']")).to_have_value("2.5")
    expect(fresh.locator("#section-optimizer select.component")).to_have_value("rmsprop")
    expect(fresh.locator("[name='optimizer.params.alpha']")).to_have_value("0.95")
    expect(fresh.locator("[name='train.early_stopping']")).to_be_checked()
    expect(fresh.locator("[name='train.early_stopping.patience']")).to_have_value("7")
    expect(fresh.locator("[name='train.steps']")).to_have_value("1234")


def test_a_run_name_is_text_not_markup(page, live_server):
    import httpx

    from tests.conftest import run_config

    config = run_config(name="<script>alert(1)</script>", train={"steps": 10})
    run_id = httpx.post(live_server + "/api/runs", json=config, timeout=60).json()["id"]
    page.goto(f"{live_server}/runs/{run_id}")
    expect(page.locator("h1")).to_have_text("<script>alert(1)</script>")
