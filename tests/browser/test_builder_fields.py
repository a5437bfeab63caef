"""The builder never trains with a value the person did not see: blank or non-numeric fields are errors beside them."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

LR = "[name='optimizer.params.lr']"


def posted_runs(page) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/api/runs") else None)
    return sent


def test_a_cleared_number_field_is_required_not_a_hidden_default(page, live_server):
    page.goto(live_server + "/")
    sent = posted_runs(page)
    expect(page.locator(LR)).to_have_value("0.01")
    page.fill(LR, "")
    expect(page.locator("[data-error-for='optimizer.params.lr']")).to_have_text("required")
    expect(page.locator(LR)).to_have_class(re.compile("invalid"))
    page.click("#train-button")
    page.wait_for_timeout(500)
    assert sent == [] and "/runs/" not in page.url  # nothing trained with Adam's own 0.001
    page.fill(LR, "0.02")
    expect(page.locator("[data-error-for='optimizer.params.lr']")).to_have_text("")


def test_letters_in_a_number_field_are_not_a_number(page, live_server):
    page.goto(live_server + "/")
    sent = posted_runs(page)
    steps = page.locator("[name='train.steps']")
    steps.fill("")
    steps.press_sequentially("1e")  # what Chromium lets a person type into a number field: no number at all
    expect(page.locator("[data-error-for='train.steps']")).to_have_text("not a number")
    page.click("#train-button")
    page.wait_for_timeout(500)
    assert sent == []


def test_an_optional_number_left_empty_means_none(page, live_server):
    page.goto(live_server + "/")
    expect(page.locator("[name='train.clip_grad_norm']")).to_have_value("")
    page.fill(LR, "0.03")
    expect(page.locator("[data-error-for='train.clip_grad_norm']")).to_have_text("")
    expect(page.locator("#form-errors")).to_be_hidden()


def test_the_run_trains_with_exactly_what_the_fields_show(page, live_server):
    page.goto(live_server + "/")
    page.select_option("#section-optimizer select.component", "rmsprop")
    expect(page.locator("[name='optimizer.params.alpha']")).to_be_visible()
    shown = {name: page.locator(f"[name='optimizer.params.{name}']").input_value() for name in ("lr", "alpha", "eps")}
    page.fill("[name='train.steps']", "20")
    page.click("#train-button")
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    config = httpx.get(f"{live_server}/api/runs/{page.url.rsplit('/', 1)[1]}").json()["config"]
    assert {name: config["optimizer"]["params"][name] for name in shown} == {k: float(v) for k, v in shown.items()}


def test_the_network_opens_sized_for_the_data_and_keeps_what_was_typed(page, live_server):
    page.goto(live_server + "/")
    widths = page.locator("[name='model.params.hidden_layers']")
    expect(widths).to_have_value("16, 16")  # 2 inputs, 2 classes
    page.select_option("#section-dataset select.component", "mnist1d")
    expect(widths).to_have_value("128, 128", timeout=20_000)  # 40 inputs, 10 classes
    expect(page.locator("#section-model .sized")).to_contain_text("1×40 → 10 classes")
    expect(page.locator("#plan [data-total=parameters]")).to_have_text("23 050", timeout=20_000)
    widths.fill("64")
    page.select_option("#section-dataset select.component", "digits")
    expect(page.locator("#section-model .sized")).to_contain_text("1×8×8", timeout=20_000)
    expect(widths).to_have_value("64")  # typed by the person: kept
