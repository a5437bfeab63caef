"""SSE against a real uvicorn: ids are contiguous, a reconnect with Last-Event-ID misses nothing."""

from __future__ import annotations

import json
import threading

import httpx

from tests.conftest import run_config


def parse(lines):
    """Yield (id, event, data) from SSE lines, skipping comments."""
    current = {}
    for line in lines:
        if not line:
            if "data" in current:
                yield int(current["id"]), current["event"], json.loads(current["data"], parse_constant=_refuse)
            current = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(": ")
            current[key] = value


def _refuse(constant):
    raise ValueError(f"non-strict JSON: {constant}")


def test_reconnect_with_last_event_id_misses_nothing(live_server):
    config = run_config(train={"steps": 3000, "eval_every": 10})
    run_id = httpx.post(live_server + "/api/runs", json=config, timeout=60).json()["id"]
    url = f"{live_server}/api/runs/{run_id}/events"
    first = []
    with httpx.stream("GET", url, timeout=30) as response:
        for event in parse(response.iter_lines()):
            first.append(event)
            if len(first) == 25:
                break  # the client drops the connection mid-run
    rest = []
    with httpx.stream("GET", url, headers={"Last-Event-ID": str(first[-1][0])}, timeout=60) as response:
        rest = list(parse(response.iter_lines()))
    ids = [e[0] for e in first + rest]
    assert ids == list(range(1, len(ids) + 1))
    assert rest[-1][1] == "done" and rest[-1][2]["status"] == "completed"
    steps = [e[2]["step"] for e in first + rest if e[1] == "metrics"]
    assert steps == list(range(0, 3001, 10))


def test_many_subscribers_see_the_same_stream(live_server):
    run_id = httpx.post(live_server + "/api/runs", json=run_config(train={"steps": 1500}), timeout=60).json()["id"]
    seen: list[list] = [[] for _ in range(5)]

    def watch(i):
        with httpx.stream("GET", f"{live_server}/api/runs/{run_id}/events", timeout=60) as response:
            seen[i] = list(parse(response.iter_lines()))

    threads = [threading.Thread(target=watch, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert all(s == seen[0] for s in seen) and seen[0][-1][1] == "done"
    # after the run, a late subscriber replays the same history
    with httpx.stream("GET", f"{live_server}/api/runs/{run_id}/events", timeout=60) as response:
        assert list(parse(response.iter_lines())) == seen[0]
