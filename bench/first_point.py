"""Time from POST /api/runs to the first `metrics` event at an SSE client, warm pool (median of N).

Usage: python bench/first_point.py [base_url] [n]   (start the server first: make run)
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time

import httpx

CONFIG = {
    "dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
    "optimizer": {"name": "adam", "params": {"lr": 0.01}}, "train": {"steps": 200, "batch_size": 32},
}


def first_point(client: httpx.Client, terminal: set[str]) -> float:
    start = time.perf_counter()
    run_id = client.post("/api/runs", json=CONFIG).json()["id"]
    with client.stream("GET", f"/api/runs/{run_id}/events") as response:
        for line in response.iter_lines():
            if line == "event: metrics":
                elapsed = time.perf_counter() - start
                break
    # let the run finish so the next sample also finds a free worker
    while client.get(f"/api/runs/{run_id}").json()["status"] not in terminal:
        time.sleep(0.05)
    return elapsed


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with httpx.Client(base_url=base, timeout=60) as client:
        terminal = {s["name"] for s in client.get("/api/catalog").json()["statuses"] if s["terminal"]}
        first_point(client, terminal)  # warm-up: first import paths, first allocations
        samples = [first_point(client, terminal) for _ in range(n)]
    print(json.dumps({
        "machine": f"{platform.machine()} {platform.processor() or ''} cpus={__import__('os').cpu_count()}".strip(),
        "n": n, "median_s": round(statistics.median(samples), 4), "max_s": round(max(samples), 4),
        "target_s": 0.5, "ratio_to_target": round(statistics.median(samples) / 0.5, 3),
    }))


if __name__ == "__main__":
    main()
