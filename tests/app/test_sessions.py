"""Login sessions: the cookie expires (checked by the server), dies with the token, and logout ends it;
wrong tokens from one address are limited to DESCENT_MAX_LOGIN_FAILURES a minute, then 429."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from app.ratelimit import FailureLimiter

TOKEN = "rotate-me-0123456789"


def _client(**settings) -> TestClient:
    from app.main import create_app
    from app.settings import Settings

    settings = {"token": TOKEN, **settings}
    return TestClient(create_app(Settings(**settings)), follow_redirects=False)


def _sign_in(client: TestClient, token: str = TOKEN):
    csrf = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    return client.post("/login", data={"token": token, "csrf": csrf, "next": "/"})


def test_logout_ends_the_session():
    client = _client()
    signed_in = _sign_in(client)
    assert signed_in.status_code == 303 and "Max-Age=604800" in signed_in.headers["set-cookie"]
    assert client.get("/api/catalog").status_code == 200
    assert 'action="/logout"' in client.get("/login").text  # the top bar offers it while signed in
    out = client.post("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/api/catalog").status_code == 401


def test_an_expired_cookie_is_refused_by_the_server():
    client = _client(session_days=1)
    access = client.app.state.access
    client.cookies.set("descent_session", access.session_cookie(now=time.time() - 2 * 86400))
    assert client.get("/api/catalog").status_code == 401
    client.cookies.set("descent_session", access.session_cookie(now=time.time() - 3600))
    assert client.get("/api/catalog").status_code == 200
    issued, _, signature = access.session_cookie().partition(".")
    client.cookies.set("descent_session", f"{int(issued) + 10 * 86400}.{signature}")  # a forged later date
    assert client.get("/api/catalog").status_code == 401


def test_rotating_the_token_invalidates_old_sessions():
    old = _client()
    _sign_in(old)
    cookie = old.cookies["descent_session"]
    new = _client(token="rotated-9876543210-xyz")
    new.cookies.set("descent_session", cookie)
    assert new.get("/api/catalog").status_code == 401
    same = _client()
    same.cookies.set("descent_session", cookie)
    assert same.get("/api/catalog").status_code == 200


def test_wrong_tokens_are_limited_per_address_then_429():
    client = _client(max_login_failures=10)
    for _ in range(10):
        assert "failed=1" in _sign_in(client, "wrong-token-0123456789").headers["location"]
    blocked = _sign_in(client)  # even the right token waits: guessing must not go on
    assert blocked.status_code == 429 and "try again in" in blocked.text
    bearer = client.get("/api/catalog", headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 429 and int(bearer.headers["retry-after"]) <= 60


def test_wrong_bearer_tokens_count_too():
    client = _client(max_login_failures=3)
    for _ in range(3):
        assert client.get("/api/catalog", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/catalog", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 429


def test_the_limit_is_a_sliding_minute_per_address():
    limiter = FailureLimiter(limit=3, window_s=60)
    for t in (0, 10, 20):
        limiter.fail("a", now=t)
    assert limiter.wait_s("a", now=30) == 30 and limiter.wait_s("b", now=30) == 0
    assert limiter.wait_s("a", now=60.5) == 0  # the first failure aged out


def test_the_limiter_forgets_the_oldest_addresses_past_its_bound():
    limiter = FailureLimiter(limit=1, max_clients=100)
    for n in range(1000):
        limiter.fail(f"10.0.{n // 256}.{n % 256}", now=0)
    assert len(limiter._failures) == 100 and limiter.wait_s("10.0.3.231", now=1) > 0
