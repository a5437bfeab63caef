"""Continuing a run with an lr schedule offers to extend or restart the schedule, and the new run's page says which
was used (issue 19, item 6)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.conftest import run_config, wait_for


def test_continue_a_cosine_run_restarting_its_schedule(page, live_server):
    config = run_config(schedule={"name": "cosine"}, train={"steps": 40})
    parent = httpx.post(f"{live_server}/api/runs", json=config, timeout=60).json()["id"]
    wait_for(lambda: httpx.get(f"{live_server}/api/runs/{parent}", timeout=30).json()["status"] == "completed", 180)
    page.goto(f"{live_server}/runs/{parent}")
    form = page.locator("#continue-form")
    expect(form.locator("legend")).to_have_text("its cosine lr schedule")
    expect(form.get_by_label("extend the schedule")).to_be_checked()  # what continuing did before, now said
    form.get_by_label("restart the schedule at step 40").check()
    form.locator("[name=steps]").fill("100")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/runs/(?!" + parent + r")[0-9a-f]{12}$"))
    expect(page.locator("#run-context")).to_contain_text(f"continued from {parent} at step 40")
    expect(page.locator("#schedule-used")).to_contain_text("restarted at step 40, over the 60 steps added")

    page.goto(f"{live_server}/runs/{parent}")
    page.locator("#continue-form [name=steps]").fill("80")
    page.locator("#continue-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/runs/(?!" + parent + r")[0-9a-f]{12}$"))
    expect(page.locator("#schedule-used")).to_contain_text("extended over all 80 steps")


def test_a_constant_lr_has_no_schedule_to_choose_about(page, live_server):
    run_id = httpx.post(f"{live_server}/api/runs", json=run_config(train={"steps": 20}), timeout=60).json()["id"]
    wait_for(lambda: httpx.get(f"{live_server}/api/runs/{run_id}", timeout=30).json()["status"] == "completed", 180)
    page.goto(f"{live_server}/runs/{run_id}")
    expect(page.locator("#continue-form [name=steps]")).to_be_visible()
    expect(page.locator("#continue-form .schedule-choice")).to_have_count(0)
