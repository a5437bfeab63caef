"""The OpenAPI schema lists every answer a route gives (schemathesis checks it in test_fuzz.py), and a 405
names in Allow every method of its path."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def app_client() -> TestClient:
    from app.main import create_app
    from app.settings import Settings

    return TestClient(create_app(Settings()))  # no lifespan: neither the schema nor a 405 needs the store


@pytest.mark.parametrize(("path", "allow"), [("/api/runs", "GET, HEAD, POST"),
                                             ("/api/runs/0123456789ab", "DELETE, GET, HEAD, PATCH"),
                                             ("/api/runs/0123456789ab/landscape", "GET, HEAD, POST")])
def test_a_405_allows_every_method_of_the_path(app_client, path, allow):
    answer = app_client.options(path)
    assert answer.status_code == 405 and answer.headers["allow"] == allow
    assert app_client.put(path).headers["allow"] == allow


def test_every_operation_documents_the_answers_of_the_app_layers(app_client):
    paths = app_client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            answers = operation["responses"]
            assert "400" in answers, (method, path)
            assert "{" not in path or "404" in answers, (method, path)
            assert "requestBody" not in operation or {"413", "422"} <= set(answers), (method, path)


def test_routes_document_their_conflicts_and_limits(app_client):
    paths = app_client.get("/openapi.json").json()["paths"]
    assert "409" in paths["/api/runs/{run_id}/control"]["post"]["responses"]
    assert "409" in paths["/api/runs/{run_id}/weights"]["get"]["responses"]
    assert "429" in paths["/api/runs"]["post"]["responses"]
    assert "429" in paths["/api/runs/{run_id}/events"]["get"]["responses"]
    assert set(paths["/api/runs/{run_id}/metrics"]["get"]["responses"]["200"]["content"]) == {"application/json",
                                                                                             "text/csv"}
