"""Every page passes axe-core (vendored from the npm registry: tests/browser/vendor, nothing fetched) with no serious
or critical violation, and the builder works from the keyboard alone (issue 19, item 11)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import run_config, wait_for

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
# WCAG 2.1 A and AA, what automated checks can decide
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                                          "best-practice"]}});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")}`);
}"""


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


@pytest.fixture(scope="module")
def made(live_server) -> dict[str, str]:
    """A run with checkpoints, a race and a sweep, so that every page has something on it."""
    post = lambda path, body: httpx.post(live_server + path, json=body, timeout=60).json()  # noqa: E731
    run_id = post("/api/runs", run_config(train={"steps": 60}))["id"]
    race = post("/api/comparisons", {"base": run_config(train={"steps": 30}),
                                     "variants": [{"optimizer": {"name": "sgd"}}, {}]})
    sweep = post("/api/sweeps", {"base": run_config(train={"steps": 30}), "trials": 1,
                                 "space": {"optimizer.params.lr": {"log_uniform": [1e-3, 1e-1]}}})
    ids = [run_id, *race["run_ids"]]
    wait_for(lambda: all(httpx.get(f"{live_server}/api/runs/{i}", timeout=30).json()["status"] == "completed"
                         for i in ids), 180)
    return {"run": run_id, "race": race["id"], "sweep": sweep["id"], "member": race["run_ids"][1]}


PAGES = ["/", "/runs", "/runs/{run}", "/runs/{run}/landscape", "/races", "/compare/{race}",
         "/compare?runs={run},{member}", "/sweeps", "/sweeps/new", "/sweeps/{sweep}", "/lab"]


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(page, live_server, made, path):
    page.goto(live_server + path.format(**made))
    page.wait_for_timeout(1500)  # the charts and htmx fragments draw (a live stream never lets the network idle)
    assert violations(page) == []


# every control a person can see, by a name to compare with what Tab reaches
CONTROLS = """() => Array.from(document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])"))
  .filter((el) => !el.disabled && el.getClientRects().length && getComputedStyle(el).visibility !== "hidden")
  // Tab stops once in a group of radio buttons, at the checked one; the arrow keys move within it
  .filter((el) => el.type !== "radio" || el.checked)
  // a closed <details> shows its summary only
  .filter((el) => { const shut = el.closest("details:not([open])");
                    return !shut || (el.tagName === "SUMMARY" && el.parentElement === shut); })
  .map((el) => el.outerHTML.slice(0, 120))"""
FOCUSED = "() => document.activeElement.outerHTML.slice(0, 120)"


@pytest.mark.parametrize("path", ["/", "/runs", "/runs/{run}", "/lab", "/sweeps/new"])
def test_every_control_is_reached_with_tab(page, live_server, made, path):
    page.goto(live_server + path.format(**made))
    page.wait_for_timeout(1500)
    controls = page.evaluate(CONTROLS)
    reached = set()
    for _ in range(len(controls) + 20):
        page.keyboard.press("Tab")
        reached.add(page.evaluate(FOCUSED))
    assert [c for c in controls if c not in reached] == []


def test_the_builder_is_operated_from_the_keyboard(page, live_server):
    page.goto(live_server + "/")
    page.focus("#section-dataset select.component")
    page.keyboard.press("End")  # the last data set: a select moves with the arrow, Home and End keys
    expect(page.locator("#section-dataset select.component")).not_to_have_value("moons", timeout=20_000)
    page.goto(live_server + "/")
    page.select_option("#section-dataset select.component", "mnist1d")
    page.select_option("#section-model select.component", "cnn")
    add = page.locator("#section-model .layer-rows [data-add]")
    add.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#section-model .layer-rows tbody tr")).to_have_count(4)
    expect(add).to_be_focused()  # the redraw keeps the keyboard where it was
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # the last row's remove button
    expect(page.locator("#section-model .layer-rows tbody tr")).to_have_count(3)
    page.focus("#open-lab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/lab?config=*")
