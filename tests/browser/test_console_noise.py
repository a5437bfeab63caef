"""#19 item 10: no page makes a request expected to fail (no 404 on a landscape page, no 409 while the LR range test
warms up, /favicon.ico served) and none logs a console error; the lab follows its range test on the run's stream."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.conftest import run_config, wait_for


def watch(page) -> list[str]:
    """Console errors, failed requests and responses of 400 or more, as they happen."""
    noise: list[str] = []
    page.on("console", lambda m: m.type == "error" and noise.append(f"console: {m.text}"))
    page.on("requestfailed", lambda r: noise.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and noise.append(f"{r.status}: {r.url}"))
    return noise


def test_every_page_opens_without_noise(page, live_server):
    run_id = httpx.post(live_server + "/api/runs", json=run_config(train={"steps": 100}), timeout=60).json()["id"]
    body = {"base": run_config(train={"steps": 60}), "variants": [{"optimizer": {"name": "sgd"}}, {}]}
    race = httpx.post(live_server + "/api/comparisons", json=body, timeout=60).json()
    wait_for(lambda: all(httpx.get(f"{live_server}/api/runs/{i}").json()["status"] == "completed"
                         for i in [run_id, *race["run_ids"]]), 180)
    noise = watch(page)
    for path in ["/", "/runs", f"/runs/{run_id}", f"/compare/{race['id']}", f"/runs/{run_id}/landscape", "/lab",
                 "/sweeps/new", "/docs", "/favicon.ico"]:
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        assert noise == [], (path, noise)
    assert httpx.get(live_server + "/favicon.ico").headers["content-type"].startswith("image/svg+xml")


def test_the_lr_range_test_follows_the_run_stream_without_polling_or_409s(page, live_server):
    noise = watch(page)
    reads: list[str] = []
    page.on("request", lambda r: "/api/lab/lr-range/" in r.url and reads.append(r.url))
    streams: list[str] = []
    page.on("request", lambda r: r.url.split("?")[0].endswith("/events") and streams.append(r.url))
    page.goto(live_server + "/lab")
    page.fill("#range-steps", "120")
    page.click("#run-range")
    expect(page.locator("#range-suggestion")).to_be_visible(timeout=120_000)
    expect(page.locator("#range-status")).to_contain_text("120 steps", timeout=120_000)
    run_id = page.locator("#range-status a").inner_text()
    assert streams and all(f"/api/runs/{run_id}/events" in url for url in streams)
    # read at the stream's points, at most every 500 ms, and once at the end: not every 700 ms from the start
    assert 1 <= len(reads) <= 60
    page.wait_for_timeout(1500)
    settled = len(reads)
    page.wait_for_timeout(1500)
    assert len(reads) == settled  # the run is done: nothing more is asked
    assert noise == [], noise


def test_the_lr_range_test_reads_again_when_the_store_is_behind_the_stream_s_end(page, live_server):
    """The stream can say `done` before the store has the run's end (a write the database refused is retried behind
    it). Here the first read after the run completed answers as a store that is behind would (not complete, no
    points): the page asks again and draws the reading. Without the retry it would say "0 points" for ever."""
    behind: list[str] = []

    def store_behind(route):
        run_id = route.request.url.rsplit("/", 1)[-1]
        completed = httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"] == "completed"
        if behind and completed:
            return route.continue_()
        if completed:
            behind.append(run_id)
        detail = f"run '{run_id}' is running with 0 points; a reading needs 10"
        route.fulfill(json={"run_id": run_id, "ready": False, "detail": detail, "status": "running", "complete": False})

    page.route("**/api/lab/lr-range/*", store_behind)
    page.goto(live_server + "/lab")
    page.fill("#range-steps", "60")
    page.click("#run-range")
    expect(page.locator("#range-suggestion")).to_be_visible(timeout=60_000)
    expect(page.locator("#range-status")).to_contain_text("completed, 60 steps")
    assert len(behind) == 1
