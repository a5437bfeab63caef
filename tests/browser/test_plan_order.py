"""The builder's network table shows the newest config's plan even when an older plan's answer arrives last (the
planner answers from parallel processes, app/planner.py)."""

from __future__ import annotations

import time

from playwright.sync_api import Route, expect


def test_a_late_answer_to_an_older_config_does_not_replace_the_newer_table(page, live_server):
    page.goto(live_server + "/")
    expect(page.locator("#plan table.layers")).to_contain_text("Linear", timeout=20_000)
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if not held:
            held.append(route)  # answered below, after the newer config's answer
        else:
            route.continue_()

    page.route("**/partials/plan", hold_the_first)
    page.select_option("#section-dataset select.component", "shapes")  # asked first: held back
    wait_until = time.monotonic() + 20
    while not held and time.monotonic() < wait_until:
        page.wait_for_timeout(50)
    assert held, "the builder asked for no plan"
    page.select_option("#section-model select.component", "cnn")  # asked second: answered at once
    table = page.locator("#plan table.layers")
    expect(table).to_contain_text("Conv2d", timeout=20_000)
    held[0].continue_()  # the older answer (an MLP on shapes) now arrives last
    page.wait_for_timeout(1500)
    expect(table).to_contain_text("Conv2d")
