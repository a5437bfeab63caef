"""Latency of GET /healthz and GET / with no run training and while two runs train, side by side in one run.

Usage: python bench/responsiveness.py [idle_s] [loaded_s]   (starts and stops its own server on 127.0.0.1)
Prints one JSON line per endpoint; target: p99 <= 50 ms while two runs train.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from collections.abc import Callable

import httpx
from local_server import Server, local_server, machine, start_runs, stop_runs, wait_busy, warm_pool

TARGET_P99_MS = 50.0
ENDPOINTS = ["/healthz", "/"]
PAUSE_S = 0.02  # between requests: a person's browser, not a load generator hogging one of the two cores


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]  # nearest rank


def sample(client: httpx.Client, seconds: float) -> dict[str, list[float]]:
    """Alternate the endpoints on one keep-alive connection; latency in ms per request."""
    latencies: dict[str, list[float]] = {path: [] for path in ENDPOINTS}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for path in ENDPOINTS:
            start = time.perf_counter()
            response = client.get(path)
            latencies[path].append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
            time.sleep(PAUSE_S)
    return latencies


def timed(server: Server, phase: Callable[[], dict]) -> tuple[dict, float | None]:
    """The phase's result and the share of one core the web process used meanwhile (context: is it starved?)."""
    cpu, start = server.cpu_seconds(), time.monotonic()
    result = phase()
    after = server.cpu_seconds()
    return result, None if cpu is None or after is None else round(100 * (after - cpu) / (time.monotonic() - start))


def summary(samples: list[float]) -> dict:
    return {"n": len(samples), "p50_ms": round(statistics.median(samples), 2),
            "p99_ms": round(percentile(samples, 0.99), 2), "max_ms": round(max(samples), 2)}


def main() -> None:
    idle_s = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    loaded_s = float(sys.argv[2]) if len(sys.argv) > 2 else 15.0
    with local_server(workers=2) as server, httpx.Client(base_url=server.base, timeout=30) as client:
        warm_pool(client, 2)
        sample(client, 1.0)  # warm-up: templates compiled, connection open
        idle, idle_cpu = timed(server, lambda: sample(client, idle_s))
        ids = start_runs(client, 2)
        try:
            wait_busy(client, 2)
            time.sleep(1.0)  # both past their set-up, emitting metrics
            progress_before = [client.get(f"/api/runs/{i}").json()["progress"] for i in ids]
            started = time.monotonic()
            loaded, loaded_cpu = timed(server, lambda: sample(client, loaded_s))
            elapsed = time.monotonic() - started
            runs = [client.get(f"/api/runs/{i}").json() for i in ids]
        finally:
            stop_runs(client, ids)
        # context: the runs really trained during the loaded phase, and how fast
        steps_per_s = [round((run["progress"] - before) * run["config"]["train"]["steps"] / elapsed)
                       for run, before in zip(runs, progress_before, strict=True)]
        where = machine(client)
    for path in ENDPOINTS:
        quiet, busy = summary(idle[path]), summary(loaded[path])
        print(json.dumps({
            "bench": "responsiveness", "endpoint": f"GET {path}", **where,
            "idle": quiet, "loaded": busy, "runs_training": 2, "run_steps_per_s": steps_per_s,
            "server_cpu_percent": {"idle": idle_cpu, "loaded": loaded_cpu},
            "ratio_p50_loaded_over_idle": round(busy["p50_ms"] / quiet["p50_ms"], 2),
            "ratio_p99_loaded_over_idle": round(busy["p99_ms"] / quiet["p99_ms"], 2),
            "target_p99_ms": TARGET_P99_MS, "ratio_p99_to_target": round(busy["p99_ms"] / TARGET_P99_MS, 3),
            "pass": busy["p99_ms"] <= TARGET_P99_MS,
        }), flush=True)


if __name__ == "__main__":
    main()
