"""From the builder, the lab and a new sweep open on what was built, not on the moons default (issue 19, item 1)."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect


def built_on_mnist1d(page, live_server) -> None:
    page.goto(live_server + "/")
    page.select_option("#section-dataset select.component", "mnist1d")
    expect(page.locator("#section-model .sized")).to_contain_text("1×40", timeout=20_000)
    page.fill("[name='optimizer.params.lr']", "0.003")
    expect(page).to_have_url(re.compile("config="))


def test_the_lab_opens_with_the_builders_config(page, live_server):
    built_on_mnist1d(page, live_server)
    page.click("#open-lab")
    page.wait_for_url(re.compile(r"/lab\?config="))
    config = json.loads(page.locator("#config-json").input_value())
    assert config["dataset"]["name"] == "mnist1d" and config["optimizer"]["params"]["lr"] == 0.003
    page.go_back()
    built_on_mnist1d(page, live_server)
    page.click("header nav a:text('Lab')")  # the top bar's Lab carries it too
    page.wait_for_url(re.compile(r"/lab\?config="))
    assert json.loads(page.locator("#config-json").input_value())["dataset"]["name"] == "mnist1d"


def test_a_new_sweep_opens_on_the_builders_config(page, live_server):
    built_on_mnist1d(page, live_server)
    page.click("#open-sweep")
    page.wait_for_url(re.compile(r"/sweeps/new\?config="))
    base = json.loads(page.locator("#sweep-base").text_content())
    assert base["dataset"]["name"] == "mnist1d" and base["optimizer"]["params"]["lr"] == 0.003
    expect(page.locator("#sweep-new .config-line")).to_contain_text("mnist1d")
