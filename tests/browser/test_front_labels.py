"""#13: the compare page shows a gradient panel per member; #19 item 9: layers named by module, titles clear of
legends, a person's own Stop a neutral notice, a queued run's page waiting for a worker instead of empty axes."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.conftest import run_config, wait_for

OVERLAP = """div => {
  const title = div.querySelector('.infolayer .gtitle'), legend = div.querySelector('.infolayer .legend');
  if (!title || !legend) return false;
  const a = title.getBoundingClientRect(), b = legend.getBoundingClientRect();
  return !(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top);
}"""


def status(live_server: str, run_id: str) -> str:
    return httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"]


def test_the_compare_page_shows_each_members_gradients_by_layer(page, live_server):
    body = {"base": run_config(train={"steps": 200}),
            "variants": [{"optimizer": {"name": "sgd", "params": {"lr": 0.1}}}, {"optimizer": {"name": "adam"}}]}
    race = httpx.post(live_server + "/api/comparisons", json=body, timeout=60).json()
    wait_for(lambda: all(status(live_server, i) == "completed" for i in race["run_ids"]), 180)
    page.goto(f"{live_server}/compare/{race['id']}")
    panels = page.locator("[data-member-gradients]")
    expect(panels).to_have_count(2)
    expect(panels.first).to_be_visible()
    expect(panels.first.locator("summary")).to_contain_text("3 layers")
    for i, run_id in enumerate(race["run_ids"]):
        panel = page.locator(f"[data-member-gradients='{run_id}']")
        panel.locator("summary").click()
        chart = panel.locator("[data-chart=member-grad]")
        traces = "(div => div.data.filter(t => t.showlegend !== false).map(t => t.name))"
        page.wait_for_function(f"(d => !!d && !!d.data && {traces}(d).length === 3)(document.querySelectorAll("
                               f"'[data-chart=member-grad]')[{i}])")
        assert chart.evaluate(traces) == ["fc.0", "fc.1", "fc.2"]  # named by module, not "1", "3", "5"
        assert not chart.evaluate(OVERLAP)


def test_a_queued_run_waits_then_draws_and_a_stop_is_news_not_an_error(page, live_server):
    # the live server has two workers: two long runs hold them, the third waits
    long = run_config(train={"steps": 100_000})
    holders = [httpx.post(live_server + "/api/runs", json=long, timeout=60).json()["id"] for _ in range(2)]
    wait_for(lambda: all(status(live_server, i) == "running" for i in holders), 120)
    waiting = httpx.post(live_server + "/api/runs", json=run_config(train={"steps": 300}), timeout=60).json()["id"]
    page.goto(f"{live_server}/runs/{waiting}")
    expect(page.locator("#run-waiting")).to_have_text("waiting for a worker (0 ahead)")
    expect(page.locator("#run-charts")).to_be_hidden()
    for run_id in holders:
        httpx.post(f"{live_server}/api/runs/{run_id}/control", json={"action": "stop"}, timeout=30)
    expect(page.locator("#run-waiting")).to_have_count(0, timeout=60_000)
    expect(page.locator("#run-charts")).to_be_visible()
    expect(page.locator("#run-status")).to_have_text("completed", timeout=120_000)
    for div in page.locator("#run-charts .chart:visible").all():
        if div.locator(".infolayer .legend").count():
            assert not div.evaluate(OVERLAP), div.get_attribute("data-chart")
    # a run the person stopped: its message is a neutral notice, not the red error box
    page.goto(f"{live_server}/runs/{holders[0]}")
    expect(page.locator("#run-status")).to_have_text("stopped")
    expect(page.locator("#run-message")).to_have_class("notice-box")
    expect(page.locator(".error-box")).to_have_count(0)
