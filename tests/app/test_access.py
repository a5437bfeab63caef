"""Access: a public bind needs a real token; with one, pages and the API need it; cross-origin posts are refused;
a stranger's header, cookie or form field never answers 500."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]


TOKEN = "s3cret-token-0123456789"


def _python_m_app(tmp_path, token: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DESCENT_HOST": "0.0.0.0", "DESCENT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    env.pop("DESCENT_TOKEN", None)
    if token is not None:
        env["DESCENT_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "app"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("token", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_python_m_app_refuses_a_public_address_without_token(tmp_path, token):
    result = _python_m_app(tmp_path, token)
    assert result.returncode == 2 and "without DESCENT_TOKEN" in result.stderr


def test_python_m_app_refuses_a_short_token_and_says_how_to_make_one(tmp_path):
    result = _python_m_app(tmp_path, "short-token")
    assert result.returncode == 2
    assert "at least 16" in result.stderr and "secrets.token_urlsafe(32)" in result.stderr


def test_an_empty_token_is_no_token_and_a_short_one_is_refused():
    from pydantic import ValidationError

    from app.settings import Settings

    assert Settings(token="").token is None and Settings(token=" \t ").token is None
    assert Settings(token=f"  {TOKEN} ").token.get_secret_value() == TOKEN
    for bad in ("x" * 15, "with a space inside", "tøken-with-non-ascii"):
        with pytest.raises(ValidationError, match="secrets.token_urlsafe"):
            Settings(token=bad)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory, data_dir):
    from app.main import create_app
    from app.settings import Settings

    db = tmp_path_factory.mktemp("auth") / "a.db"
    settings = Settings(database_url=f"sqlite:///{db}", data_dir=str(data_dir), workers=1, torch_threads=1,
                        token=TOKEN)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def test_token_guards_pages_and_api(guarded):
    assert guarded.get("/healthz").status_code == 200
    assert guarded.get("/api/runs").status_code == 401
    assert guarded.get("/api/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert guarded.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    page = guarded.get("/runs")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/runs"


def test_login_form_sets_a_cookie_and_needs_its_csrf_field(guarded):
    form = guarded.get("/login?next=/runs")
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    forged = guarded.post("/login", data={"token": TOKEN, "csrf": "guess", "next": "/runs"})
    assert forged.status_code == 403
    wrong = guarded.post("/login", data={"token": "nope", "csrf": csrf, "next": "/runs"})
    assert wrong.status_code == 303 and "failed=1" in wrong.headers["location"]
    ok = guarded.post("/login", data={"token": TOKEN, "csrf": csrf, "next": "//evil.example/x"})
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert TOKEN not in ok.headers["set-cookie"]
    assert guarded.get("/runs").status_code == 200
    guarded.cookies.clear()


def test_cross_origin_posts_are_refused(client):
    evil = client.post("/api/runs", json={}, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    same = client.post("/api/runs", json={}, headers={"Origin": "http://testserver"})
    assert same.status_code == 422


def test_non_ascii_header_cookie_and_form_fields_answer_401_not_500(guarded):
    # compare_digest refuses non-ASCII str: the server must compare bytes
    header = guarded.get("/api/runs", headers={"Authorization": "Bearer tøken-ünïcode".encode()})
    assert header.status_code == 401
    latin1 = guarded.get("/api/runs", headers={"Authorization": b"Bearer \xff\xfe"})
    assert latin1.status_code == 401
    cookie = guarded.get("/api/runs", headers={"Cookie": "descent_session=1.ünïcode".encode()})
    assert cookie.status_code == 401
    form = guarded.get("/login")
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    wrong = guarded.post("/login", data={"token": "tøken-ünïcode", "csrf": csrf, "next": "/"})
    assert wrong.status_code == 303 and "failed=1" in wrong.headers["location"]
    forged = guarded.post("/login", data={"token": TOKEN, "csrf": "ünïcode", "next": "/"})
    assert forged.status_code == 403
    guarded.cookies.clear()
