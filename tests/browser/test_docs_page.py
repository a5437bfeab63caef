"""/docs and /redoc render the API's operations with no request leaving the server (Swagger UI and Redoc are
vendored in static/vendor)."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect


def requests_seen(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def test_swagger_ui_renders_every_operation_offline(page, live_server):
    operations = sum(len(item) for item in httpx.get(live_server + "/openapi.json").json()["paths"].values())
    seen = requests_seen(page)
    page.goto(live_server + "/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)
    assert page.locator(".opblock").count() == operations
    page.locator(".opblock-summary", has_text="/api/catalog").first.click()  # an operation opens, with its try-out
    expect(page.locator(".try-out__btn").first).to_be_visible()
    assert seen and all(url.startswith(live_server) for url in seen), [u for u in seen if not u.startswith(live_server)]


def test_redoc_renders_offline(page, live_server):
    seen = requests_seen(page)
    page.goto(live_server + "/redoc")
    expect(page.get_by_text("/api/runs/{run_id}/metrics").first).to_be_attached(timeout=30_000)
    expect(page.locator("h1").first).to_contain_text("Descent")
    outside = [url for url in seen if not url.startswith((live_server, "blob:", "data:"))]
    assert outside == []
