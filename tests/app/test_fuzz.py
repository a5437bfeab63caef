"""Fuzzing: schemathesis drives every operation of the OpenAPI schema (no 5xx); hypothesis builds
RunConfigs from the registries (valid ones start, invalid ones get 422 naming a field; never a 500)."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from engine.config import SECTIONS
from tests.conftest import start_server, stop_server


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    # its own server, with tiny limits, so fuzzed runs stay short and never crowd the other tests
    process, base = start_server(tmp_path_factory.mktemp("fuzz") / "f.db", DESCENT_MAX_STEPS="50",
                                 DESCENT_MAX_QUEUED="4", DESCENT_MAX_UPLOAD_BYTES="20000")
    yield base
    stop_server(process)


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    return schemathesis.openapi.from_url(fuzz_server + "/openapi.json")


def test_no_operation_answers_5xx(api_schema):
    # note: schemathesis' pytest plugin does not load under pytest 9, so each operation's hypothesis
    # strategy is driven here directly; the checks are the same
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate(checks=[not_a_server_error], timeout=30)

        check()


def spec(section: str):
    names = SECTIONS[section].names() + ["nope"]
    params = st.dictionaries(st.sampled_from(["lr", "momentum", "hidden_layers", "noise", "n_samples", "x"]),
                             st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-5, 5000),
                                       st.lists(st.integers(-2, 40), max_size=3)),
                             max_size=2)
    return st.fixed_dictionaries({"name": st.sampled_from(names), "params": params})


configs = st.fixed_dictionaries({
    "dataset": spec("dataset"), "model": spec("model"), "loss": spec("loss"), "optimizer": spec("optimizer"),
    "train": st.fixed_dictionaries({"steps": st.integers(-1, 60),
                                    "batch_size": st.sampled_from([1, 8, "full", 0, "x"])}),
})


@given(config=configs)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_run_configs_get_201_or_422_naming_a_field(fuzz_server, config):
    response = httpx.post(fuzz_server + "/api/runs", json=config, timeout=60)
    assert response.status_code in (201, 422, 429), response.text
    if response.status_code == 422:
        for error in response.json()["detail"]:
            assert error["loc"][0] == "body" and error["msg"]
