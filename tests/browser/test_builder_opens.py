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


def opened(page, live_server, link: str, address: str, holder: str) -> dict:
    """The config the page behind `link` opens on, after building on MNIST-1D."""
    built_on_mnist1d(page, live_server)
    page.click(link)
    page.wait_for_url(re.compile(address))
    box = page.locator(holder)
    return json.loads(box.input_value() if holder == "#config-json" else box.text_content())


def test_the_lab_opens_with_the_builders_config(page, live_server):
    for link in ("#open-lab", "header nav a:text('Lab')"):  # the builder's Lab… and the top bar's Lab
        config = opened(page, live_server, link, r"/lab\?config=", "#config-json")
        assert config["dataset"]["name"] == "mnist1d" and config["optimizer"]["params"]["lr"] == 0.003


def test_a_new_sweep_opens_on_the_builders_config(page, live_server):
    base = opened(page, live_server, "#open-sweep", r"/sweeps/new\?config=", "#sweep-base")
    assert base["dataset"]["name"] == "mnist1d" and base["optimizer"]["params"]["lr"] == 0.003
    expect(page.locator("#sweep-new .config-line")).to_contain_text("mnist1d")
