"""A person ticks optimizers in the builder, presses Race and watches them train side by side."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_race_three_optimizers_from_the_builder(page, live_server):
    page.goto(live_server + "/")
    page.fill("[name='train.steps']", "300")
    for name in ("sgd", "momentum", "adam"):
        page.check(f"[data-race-optimizer='{name}']")
    page.fill("[data-race-lr='sgd']", "0.2")
    page.click("#race-button")
    page.wait_for_url(re.compile(r"/compare/[0-9a-f]+$"))
    expect(page.locator("tr[data-member]")).to_have_count(3)
    expect(page.locator("#compare")).to_contain_text("same batch order")
    expect(page.locator("tr[data-member] [data-status]")).to_have_text(["completed"] * 3, timeout=180_000)
    drawn = "document.querySelector('[data-chart=val_loss]').data.filter(t => !t.name.endsWith('(raw)')).length"
    page.wait_for_function(f"{drawn} === 3", timeout=20_000)
    expect(page.locator("tr[data-member]").first).to_contain_text("optimizer=sgd, optimizer.lr=0.2")


def test_a_race_over_seeds_draws_bands(page, live_server):
    page.goto(live_server + "/")
    page.fill("[name='train.steps']", "150")
    page.check("[data-race-optimizer='sgd']")
    page.check("[data-race-optimizer='adam']")
    page.fill("#race-seeds", "0, 1, 2")
    page.click("#race-button")
    page.wait_for_url(re.compile(r"/compare/[0-9a-f]+$"))
    expect(page.locator("tr[data-member]")).to_have_count(6)
    expect(page.locator("tr[data-member] [data-status]")).to_have_text(["completed"] * 6, timeout=180_000)
    # a band appears as soon as one member of its group has points; wait until every member is in its mean
    traces = "document.querySelector('[data-chart=val_loss]').data"
    bands = f"{traces}.filter(t => t.fill === 'tonexty').length"
    means = f"{traces}.filter(t => (t.name || '').includes('mean of 3')).length"
    page.wait_for_function(f"{bands} === 2 && {means} === 2", timeout=20_000)
    assert page.evaluate(f"{traces}.filter(t => (t.name || '').includes('mean of')).length") == 2
