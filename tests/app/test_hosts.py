"""DNS rebinding: a request must name this server in its Host header (DESCENT_ALLOWED_HOSTS adds names)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import run_config


def _client(**settings) -> TestClient:
    from app.main import create_app
    from app.settings import Settings

    # no lifespan: the host check comes before any route, and the catalog needs no store
    return TestClient(create_app(Settings(**settings)), raise_server_exceptions=False)


def test_a_rebound_name_is_refused_even_with_a_matching_origin():
    client = _client(host="127.0.0.1", allowed_hosts="")
    evil = {"Host": "evil.example:8777", "Origin": "http://evil.example:8777"}
    created = client.post("/api/runs", json=run_config(), headers=evil)
    assert created.status_code == 400 and "DESCENT_ALLOWED_HOSTS" in created.json()["detail"]
    assert client.patch("/api/runs/0123456789ab", json={"name": "x"}, headers=evil).status_code == 400
    assert client.get("/api/catalog", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/runs", headers={"Host": "127.0.0.1.evil.example"}).status_code == 400


@pytest.mark.parametrize("host", ["127.0.0.1:8777", "localhost", "LOCALHOST:1", "[::1]:8000", "localhost.:80"])
def test_loopback_names_on_any_port_are_served(host):
    client = _client(host="127.0.0.1", allowed_hosts="")
    assert client.get("/api/catalog", headers={"Host": host}).status_code == 200


def test_the_bound_address_and_the_listed_names_are_served():
    client = _client(host="192.168.1.20", allowed_hosts="descent.example, [fd00::7]:8000", token="t" * 20)
    bearer = {"Authorization": "Bearer " + "t" * 20}
    for host in ("192.168.1.20:8000", "descent.example", "Descent.Example:443", "[fd00::7]"):
        assert client.get("/api/catalog", headers={**bearer, "Host": host}).status_code == 200, host
    assert client.get("/api/catalog", headers={**bearer, "Host": "other.example"}).status_code == 400


def test_a_star_serves_any_name():
    client = _client(allowed_hosts="*")
    assert client.get("/api/catalog", headers={"Host": "anything.example"}).status_code == 200
