"""Access: a public bind needs a token; with one, pages and the API need it; cross-origin posts are refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_app_refuses_a_public_address_without_token(tmp_path):
    env = {**os.environ, "DESCENT_HOST": "0.0.0.0", "DESCENT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    env.pop("DESCENT_TOKEN", None)
    result = subprocess.run([sys.executable, "-m", "app"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "DESCENT_TOKEN" in result.stderr


@pytest.fixture(scope="module")
def guarded(tmp_path_factory, data_dir):
    from app.main import create_app
    from app.settings import Settings

    db = tmp_path_factory.mktemp("auth") / "a.db"
    settings = Settings(database_url=f"sqlite:///{db}", data_dir=str(data_dir), workers=1, torch_threads=1,
                        token="s3cret-token")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def test_token_guards_pages_and_api(guarded):
    assert guarded.get("/healthz").status_code == 200
    assert guarded.get("/api/runs").status_code == 401
    assert guarded.get("/api/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert guarded.get("/api/runs", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    page = guarded.get("/runs")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/runs"


def test_login_form_sets_a_cookie_and_needs_its_csrf_field(guarded):
    form = guarded.get("/login?next=/runs")
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    forged = guarded.post("/login", data={"token": "s3cret-token", "csrf": "guess", "next": "/runs"})
    assert forged.status_code == 403
    wrong = guarded.post("/login", data={"token": "nope", "csrf": csrf, "next": "/runs"})
    assert wrong.status_code == 303 and "failed=1" in wrong.headers["location"]
    ok = guarded.post("/login", data={"token": "s3cret-token", "csrf": csrf, "next": "//evil.example/x"})
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert "s3cret-token" not in ok.headers["set-cookie"]
    assert guarded.get("/runs").status_code == 200
    guarded.cookies.clear()


def test_cross_origin_posts_are_refused(client):
    evil = client.post("/api/runs", json={}, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    same = client.post("/api/runs", json={}, headers={"Origin": "http://testserver"})
    assert same.status_code == 422
