"""A server with DESCENT_TOKEN: a person signs in with the form in Chromium and lands where they were going.

The browser asks for /favicon.ico by itself; sent to /login, that request rendered a second form whose new CSRF
cookie voided the one on screen, and every sign-in answered 403 "the login form expired"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import start_server, stop_server

TOKEN = "a-long-random-secret-for-the-sign-in-test"


@pytest.fixture(scope="module")
def token_server(tmp_path_factory) -> str:
    process, base = start_server(tmp_path_factory.mktemp("token") / "descent.db", DESCENT_TOKEN=TOKEN,
                                 DESCENT_WORKERS="1")
    yield base
    stop_server(process)


def sign_in(page, token: str) -> None:
    page.fill("input[name=token]", token)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_signing_in_with_the_form_opens_the_page_asked_for(page, token_server):
    page.goto(token_server + "/runs")
    expect(page).to_have_url(token_server + "/login?next=/runs")
    page.wait_for_load_state("networkidle")  # the page's own requests, the browser's /favicon.ico among them
    sign_in(page, TOKEN)
    expect(page).to_have_url(token_server + "/runs")
    expect(page.locator("h1")).not_to_have_text("Sign in")


def test_a_second_login_page_does_not_void_the_first(page, token_server):
    page.goto(token_server + "/login?next=/runs")
    other = page.context.new_page()  # another tab opens the form too
    other.goto(token_server + "/login?next=/lab")
    sign_in(page, TOKEN)
    expect(page).to_have_url(token_server + "/runs")
    other.close()


def test_a_wrong_token_says_so_on_the_form(page, token_server):
    page.goto(token_server + "/login?next=/")
    sign_in(page, "not-the-token")
    expect(page.locator(".error-box")).to_have_text("That token is not right.")
