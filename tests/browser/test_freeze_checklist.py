"""Fine-tuning: the freeze field takes the prefixes it suggests ("1." stays text), and the plan's layers are offered as
a checklist that writes them (issue 19, item 5)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.conftest import run_config, wait_for

FREEZE = "[name='start_from.freeze']"


def test_freeze_layers_from_the_checklist_or_by_prefix(page, live_server):
    parent = httpx.post(f"{live_server}/api/runs", json=run_config(train={"steps": 40}), timeout=60).json()["id"]
    wait_for(lambda: httpx.get(f"{live_server}/api/runs/{parent}", timeout=30).json()["status"] == "completed", 180)
    page.goto(f"{live_server}/runs/{parent}")
    page.click("a:text('fine-tune…')")
    checklist = page.locator("#freeze-list label")
    expect(checklist).to_have_count(3)  # the MLP's three Linear layers, named as the plan's table names them
    expect(checklist.nth(0)).to_contain_text("1 Linear")

    page.fill(FREEZE, "1.")
    expect(page.locator("#plan [data-total=parameters]")).to_be_visible()  # no "Input should be a valid string"
    expect(page.locator("#form-errors")).to_be_hidden()
    expect(checklist.nth(0).locator("input")).to_be_checked()

    checklist.nth(1).locator("input").check()
    expect(page.locator(FREEZE)).to_have_value("1., 3.")
    checklist.nth(0).locator("input").uncheck()
    expect(page.locator(FREEZE)).to_have_value("3.")
    page.fill("[name='train.steps']", "20")
    page.click("#train-button")
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{12}$"))
    config = httpx.get(f"{live_server}/api/runs/{page.url.rsplit('/', 1)[1]}", timeout=30).json()["config"]
    assert config["start_from"]["freeze"] == ["3."] and config["start_from"]["run"] == parent
