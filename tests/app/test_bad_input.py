"""Bad input answers 422 naming the field, as strict JSON: NaN and ±Infinity (Python's json reads them) in any
body, and event ids past the store's 64-bit column. Never a 500."""

from __future__ import annotations

import json
import math

import pytest

from tests.conftest import finish, run_config

NON_FINITE = [math.nan, math.inf, -math.inf]
NAN = object()  # stands for each non-finite value in a body template


def _fill(body, value):
    if body is NAN:
        return value
    if isinstance(body, dict):
        return {k: _fill(v, value) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, value) for v in body]
    return body


def _strict(text: str):
    def refuse(constant):
        raise AssertionError(f"the answer holds {constant}: not strict JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def run_id(client) -> str:
    return finish(client, client.post("/api/runs", json=run_config(train={"steps": 40})).json()["id"])["id"]


def _lr(value) -> dict:
    return run_config(optimizer={"name": "adam", "params": {"lr": value}})


ROUTES = {
    "runs": ("POST", "/api/runs", _lr(NAN), ["optimizer", "params", "lr"]),
    "runs train": ("POST", "/api/runs", run_config(train={"eval_share": NAN}), ["train", "eval_share"]),
    "huber delta": ("POST", "/api/runs", run_config(loss={"name": "huber", "params": {"delta": NAN}}),
                    ["loss", "params", "delta"]),
    "plans": ("POST", "/api/plans", _lr(NAN), ["optimizer", "params", "lr"]),
    "gradcheck": ("POST", "/api/lab/gradcheck", _lr(NAN), ["optimizer", "params", "lr"]),
    "lr range": ("POST", "/api/lab/lr-range", {"config": run_config(), "min_lr": NAN}, ["min_lr"]),
    "paths": ("POST", "/api/lab/paths", {"surface": "beale", "start": [NAN, 0.0], "optimizers": [{"name": "sgd"}]},
              ["start", 0]),
    "sweeps": ("POST", "/api/sweeps", {"base": run_config(), "space": {"optimizer.params.lr": {"uniform": [0, NAN]}}},
               ["space", "optimizer.params.lr", "uniform", 1]),
    "comparisons": ("POST", "/api/comparisons", {"base": run_config(), "variants": [_lr(NAN)["optimizer"]]},
                    None),
    "comparison variant": ("POST", "/api/comparisons",
                           {"base": run_config(), "variants": [{"optimizer": {"name": "sgd", "params": {"lr": NAN}}}]},
                           ["variants", 0, "optimizer", "params", "lr"]),
    "rename": ("PATCH", "/api/runs/{id}", {"name": NAN}, ["name"]),
    "control": ("POST", "/api/runs/{id}/control", {"action": NAN}, ["action"]),
    "continue": ("POST", "/api/runs/{id}/continue", {"steps": NAN}, ["steps"]),
    "landscape": ("POST", "/api/runs/{id}/landscape", {"span": NAN}, ["span"]),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_non_finite_numbers_answer_422_naming_the_field(client, run_id, route):
    method, path, template, field = ROUTES[route]
    for value in NON_FINITE:
        body = json.dumps(_fill(template, value))  # writes NaN / Infinity / -Infinity, as a careless client would
        response = client.request(method, path.format(id=run_id), content=body,
                                  headers={"Content-Type": "application/json"})
        assert response.status_code == 422, (value, response.text)
        detail = _strict(response.text)["detail"]
        assert all(error["loc"][0] == "body" and error["msg"] for error in detail)
        if field is not None:
            assert ["body", *field] in [error["loc"] for error in detail], (value, detail)


def test_huber_delta_infinity_is_refused_before_it_is_stored(client):
    # it used to be stored as null: the run failed and its /script answered 500
    before = len(client.get("/api/runs").json())
    body = json.dumps(run_config(loss={"name": "huber", "params": {"delta": math.inf}}))
    response = client.post("/api/runs", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "finite_number"
    assert len(client.get("/api/runs").json()) == before


def test_event_ids_past_64_bits_answer_422(client, run_id):
    too_big = str(2**63)
    by_query = client.get(f"/api/runs/{run_id}/events", params={"after": too_big})
    assert by_query.status_code == 422 and by_query.json()["detail"][0]["loc"] == ["query", "after"]
    by_header = client.get(f"/api/runs/{run_id}/events", headers={"Last-Event-ID": too_big})
    assert by_header.status_code == 422 and by_header.json()["detail"][0]["loc"] == ["header", "last-event-id"]
    largest = client.get(f"/api/runs/{run_id}/events", params={"after": str(2**63 - 1)})
    assert largest.status_code == 200 and largest.text == ""  # nothing comes after the largest id


@pytest.mark.parametrize(("field", "value"), [("steps", True), ("steps", "100"), ("steps", 100.0), ("seed", False)])
def test_a_number_sent_as_a_bool_or_a_string_is_refused(client, field, value):
    # pydantic's lax mode read true as 1 and "100" as 100: schemathesis' negative-data check caught it
    answer = client.post("/api/runs", json=run_config(train={field: value}))
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "train", field]
