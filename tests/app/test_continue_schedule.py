"""Continuing a run with an lr schedule says what happens to the schedule: extended over all the new steps, or
restarted at the checkpoint over the steps added (issue 19, item 6)."""

from __future__ import annotations

import math

import pytest

from tests.conftest import finish, run_config

BASE_LR, STEPS = 0.01, 40


@pytest.fixture(scope="module")
def cosine_parent(client) -> str:
    config = run_config(schedule={"name": "cosine"}, optimizer={"name": "sgd", "params": {"lr": BASE_LR}},
                        train={"steps": STEPS, "eval_every": 1})
    parent = client.post("/api/runs", json=config).json()["id"]
    assert finish(client, parent)["status"] == "completed"
    return parent


def lrs(client, run_id: str) -> dict[int, float]:
    return {row["step"]: row["lr"] for row in client.get(f"/api/runs/{run_id}/metrics").json()["metrics"]
            if row.get("lr") is not None}


@pytest.mark.parametrize("schedule", ["extend", "restart"])
def test_a_cosine_run_continued_past_its_end(client, cosine_parent, schedule):
    answer = client.post(f"/api/runs/{cosine_parent}/continue", json={"steps": 2 * STEPS, "schedule": schedule})
    assert answer.status_code == 201, answer.text
    child = answer.json()["id"]
    assert finish(client, child)["status"] == "completed"
    assert client.get(f"/api/runs/{child}").json()["config"]["start_from"]["schedule"] == schedule
    seen = lrs(client, child)
    step = min(s for s in seen if s > STEPS + 1)
    # extend: the cosine laid over 80 steps, half-way down at step 40; restart: a new cosine over steps 40..80 (the
    # lr logged at a step is the one its update used, the schedule's value one step before)
    t, span = (step - 1, 2 * STEPS) if schedule == "extend" else (step - 1 - STEPS, STEPS)
    assert seen[step] == pytest.approx(BASE_LR * 0.5 * (1 + math.cos(math.pi * t / span)), rel=1e-6)
    assert seen[max(seen)] < BASE_LR * 0.01  # both end where the cosine ends


def test_the_schedule_choice_is_checked(client, cosine_parent):
    answer = client.post(f"/api/runs/{cosine_parent}/continue", json={"steps": 2 * STEPS, "schedule": "rewind"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "schedule"]
