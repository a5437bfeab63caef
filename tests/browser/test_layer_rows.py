"""A list of layers is edited as rows, one per layer with a control per field, and still as JSON (issue 19, item 4)."""

from __future__ import annotations

import json
import re

import httpx
from playwright.sync_api import expect

JSON = "[name='model.params.conv_layers']"


def layers(page) -> list[dict]:
    return json.loads(page.locator(JSON).input_value())


def test_conv_layers_as_rows_and_as_json(page, live_server):
    page.goto(live_server + "/")
    page.select_option("#section-dataset select.component", "mnist1d")
    expect(page.locator("#section-model .sized")).to_contain_text("1×40", timeout=20_000)
    page.select_option("#section-model select.component", "cnn")
    rows = page.locator("#section-model .layer-rows tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#section-model .layer-rows thead")).to_contain_text("channels")
    for column in ("kernel", "stride", "padding", "pool"):
        expect(page.locator("#section-model .layer-rows thead")).to_contain_text(column)
    pools = page.locator("#plan tbody td:text-is('MaxPool1d')")
    expect(pools).to_have_count(3, timeout=20_000)

    page.get_by_label("channels of row 2").fill("24")
    assert layers(page)[1]["channels"] == 24
    page.get_by_label("pool of row 1").select_option("none")
    expect(pools).to_have_count(2, timeout=20_000)  # the plan follows: no pooling after the first layer
    page.click("#section-model .layer-rows [data-add]")
    expect(rows).to_have_count(4)
    assert layers(page)[3] == layers(page)[2]  # a new layer starts as a copy of the last
    page.get_by_label("remove row 3").click()
    expect(rows).to_have_count(3)
    assert [layer["channels"] for layer in layers(page)] == [16, 24, 32]

    page.click("#section-model .as-json summary")  # the same list as JSON, for pasting
    page.fill(JSON, '[{"channels": 8, "kernel_size": 5}, {"channels": 12, "padding": 1}]')
    expect(rows).to_have_count(2)
    expect(page.get_by_label("kernel_size of row 1")).to_have_value("5")
    expect(page.get_by_label("padding of row 2")).to_have_value("1")

    page.fill("[name='train.steps']", "10")
    page.click("#train-button")
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{12}$"))
    config = httpx.get(f"{live_server}/api/runs/{page.url.rsplit('/', 1)[1]}", timeout=30).json()["config"]
    assert [(c["channels"], c["kernel_size"], c["padding"]) for c in config["model"]["params"]["conv_layers"]] == [
        (8, 5, "same"), (12, 3, 1)]
