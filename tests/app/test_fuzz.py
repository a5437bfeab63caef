"""Fuzzing: schemathesis runs every API operation with `--checks all` (statuses, content types, schemas, Allow
headers, negative and positive data, stateful links); hypothesis builds RunConfigs from the registries (valid ones
start, invalid ones get 422 naming a field) and puts NaN and ±Infinity into bodies (schemathesis never does)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import SECTIONS
from tests.conftest import run_config, start_server, stop_server

CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    # its own server, with tiny limits, so fuzzed runs stay short and never crowd the other tests
    process, base = start_server(tmp_path_factory.mktemp("fuzz") / "f.db", DESCENT_MAX_STEPS="50",
                                 DESCENT_MAX_QUEUED="4", DESCENT_MAX_UPLOAD_BYTES="20000")
    yield base
    stop_server(process)


def test_schemathesis_finds_nothing_with_all_checks(fuzz_server, tmp_path):
    # note: the CLI, not the pytest plugin (which does not load under pytest 9): it is the only way to get the
    # stateful phase and every check; a fixed seed and 5 examples an operation keep it to about a minute
    command = [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(CONFIG), "run",
               f"{fuzz_server}/openapi.json", "--checks", "all", "--include-path-regex", "^/api/",
               "--max-examples", "5", "--seed", "20260601", "--workers", "2", "--request-timeout", "60",
               "--generation-database", "none", "--continue-on-failure"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-12_000:] + result.stderr[-2_000:]
    assert "Stateful" in result.stdout and "passed" in result.stdout


def spec(section: str):
    names = SECTIONS[section].names() + ["nope"]
    params = st.dictionaries(st.sampled_from(["lr", "momentum", "hidden_layers", "noise", "n_samples", "x"]),
                             st.one_of(st.floats(), st.integers(-5, 5000), st.lists(st.integers(-2, 40), max_size=3)),
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
    body = json.dumps(config)  # params may hold NaN or ±Infinity
    response = httpx.post(fuzz_server + "/api/runs", content=body, headers={"Content-Type": "application/json"},
                          timeout=60)
    assert response.status_code in (201, 422, 429), response.text
    if response.status_code == 422:
        for error in response.json()["detail"]:
            assert error["loc"][0] == "body" and error["msg"]


def _strict(text: str):
    def refuse(constant):
        raise AssertionError(f"the answer holds {constant}: not strict JSON")

    return json.loads(text, parse_constant=refuse)


NUMBERS = [("optimizer", "params", "lr"), ("train", "steps"), ("train", "eval_share"), ("train", "seed"),
           ("train", "clip_grad_norm"), ("train", "mixup_alpha"), ("dataset", "params", "noise"),
           ("model", "params", "hidden_layers", 0), ("train", "early_stopping", "min_delta")]
BODIES = {  # every route whose body holds a RunConfig, and where the config sits in it
    "/api/runs": lambda c: c, "/api/plans": lambda c: c, "/api/lab/gradcheck": lambda c: c,
    "/api/lab/lr-range": lambda c: {"config": c},
    "/api/sweeps": lambda c: {"base": c, "space": {"optimizer.params.lr": {"log_uniform": [1e-3, 1e-1]}}},
    "/api/comparisons": lambda c: {"base": c, "variants": [{"name": "the same config"}]},
}


def _put(config: dict, path: tuple, value) -> dict:
    config = json.loads(json.dumps(config))
    node = config
    for key, following in zip(path, path[1:], strict=False):
        node = node.setdefault(key, [0] if isinstance(following, int) else {})
    node[path[-1]] = value
    return config


@given(route=st.sampled_from(list(BODIES)), path=st.sampled_from(NUMBERS),
       value=st.sampled_from([math.nan, math.inf, -math.inf]))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_non_finite_numbers_in_any_body_get_a_strict_422(fuzz_server, route, path, value):
    config = _put(run_config(train={"steps": 20, "early_stopping": {}}), path, value)
    body = json.dumps(BODIES[route](config))  # NaN / Infinity / -Infinity literals, as Python's json writes them
    response = httpx.post(fuzz_server + route, content=body, headers={"Content-Type": "application/json"},
                          timeout=60)
    assert response.status_code == 422, (route, path, value, response.text)
    detail = _strict(response.text)["detail"]
    assert detail and all(error["msg"] for error in detail)
    if route in ("/api/runs", "/api/plans"):
        assert ["body", *path] in [error["loc"] for error in detail], detail
