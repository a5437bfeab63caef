"""Losses that do not fit the data's task are marked at the loss select, and a new data set proposes a loss that fits
(issue 19, item 3)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

LOSS = "#section-loss select.component"


def test_switching_to_regression_data_proposes_a_regression_loss(page, live_server):
    catalog = httpx.get(f"{live_server}/api/catalog", timeout=30).json()
    only = {e["name"]: e["tasks"] for e in catalog["losses"] if len(e["tasks"]) == 1}
    page.goto(live_server + "/")
    for name, tasks in only.items():  # on moons (classification) every regression-only loss is marked
        option = page.locator(f"{LOSS} option[value='{name}']")
        expect(option).to_be_disabled() if tasks == ["regression"] else expect(option).to_be_enabled()
    expect(page.locator(f"{LOSS} option[value='mape']")).to_have_text("mape (regression only)")

    page.select_option("#section-dataset select.component", "sine_forecast")
    expect(page.locator(LOSS)).to_have_value("mse", timeout=20_000)
    expect(page.locator(".loss-proposal")).to_have_text(
        "cross_entropy needs classification data and sine_forecast is regression: proposed mse instead")
    expect(page.locator(f"{LOSS} option[value='cross_entropy']")).to_be_disabled()
    expect(page.locator(f"{LOSS} option[value='mape']")).to_be_enabled()
    expect(page.locator("#plan [data-total=parameters]")).to_be_visible(timeout=20_000)  # no error under the plan

    page.select_option(LOSS, "huber")  # the person's own pick ends the proposal
    expect(page.locator(".loss-proposal")).to_be_hidden(timeout=20_000)
    page.fill("[name='train.steps']", "10")
    page.click("#train-button")
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{12}$"))
