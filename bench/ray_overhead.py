"""What sending jobs to Ray costs, against the local pool, side by side: two servers on this machine, one with
DESCENT_EXECUTOR=local (2 workers) and one with DESCENT_EXECUTOR=ray (a local Ray instance of 2 CPUs), the same
runs posted to each in turn.

- wall time of a 2 000-step MLP run, POST → its `done` event at an SSE client: Ray ÷ pool (target ≤ 1.3)
- POST → first `metrics` event, warm (target ≤ 1.5 s on Ray)
- pause → the `paused` status at the client (target ≤ 0.5 s on either)

Usage: python bench/ray_overhead.py [--rounds 5] [--firsts 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import httpx
from local_server import TERMINAL, local_server

RUN = {"dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
       "optimizer": {"name": "adam", "params": {"lr": 0.01}}, "train": {"steps": 2000, "batch_size": 32}}
SHORT = {**RUN, "train": {"steps": 200, "batch_size": 32}}
LONG = {**RUN, "train": {"steps": 1_000_000, "batch_size": 32}}


def timed_run(client: httpx.Client, config: dict) -> tuple[float, float]:
    """(POST → first metrics event, POST → done event) at an SSE client, seconds."""
    start = time.perf_counter()
    run_id = client.post("/api/runs", json=config).json()["id"]
    first = None
    with client.stream("GET", f"/api/runs/{run_id}/events") as response:
        for line in response.iter_lines():
            if line == "event: metrics" and first is None:
                first = time.perf_counter() - start
            if line == "event: done":
                return first, time.perf_counter() - start
    raise RuntimeError(f"run {run_id}'s stream ended without done")


def pause_latency(client: httpx.Client) -> float:
    """POST pause → the paused status event, on a run already training; the run is stopped afterwards."""
    run_id = client.post("/api/runs", json=LONG).json()["id"]
    with client.stream("GET", f"/api/runs/{run_id}/events") as response:
        lines = response.iter_lines()
        for line in lines:
            if line == "event: metrics":
                break
        start = time.perf_counter()
        client.post(f"/api/runs/{run_id}/control", json={"action": "pause"})
        for line in lines:
            if line.startswith("data:") and '"status":"paused"' in line:
                elapsed = time.perf_counter() - start
                break
    client.post(f"/api/runs/{run_id}/control", json={"action": "stop"})
    while client.get(f"/api/runs/{run_id}").json()["status"] not in TERMINAL:
        time.sleep(0.05)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--firsts", type=int, default=10)
    args = parser.parse_args()
    ray_env = {"DESCENT_EXECUTOR": "ray", "DESCENT_RAY_NUM_CPUS": "2", "DESCENT_RAY_OBJECT_STORE_MB": "200"}
    with local_server(2) as pool_server, local_server(2, ready_timeout=180, env=ray_env) as ray_server, \
            httpx.Client(base_url=pool_server.base, timeout=120) as pool, \
            httpx.Client(base_url=ray_server.base, timeout=120) as ray:
        clients = {"pool": pool, "ray": ray}
        for client in clients.values():
            timed_run(client, SHORT)  # warm: workers or actors up, torch imported, first allocations done
        walls = {"pool": [], "ray": []}
        for i in range(args.rounds):  # interleaved, the order flipped each round
            for name in (("pool", "ray") if i % 2 == 0 else ("ray", "pool")):
                walls[name].append(timed_run(clients[name], RUN)[1])
        firsts = {name: [timed_run(c, SHORT)[0] for _ in range(args.firsts)] for name, c in clients.items()}
        pauses = {name: [pause_latency(c) for _ in range(3)] for name, c in clients.items()}
    context = {"machine": platform.machine(), "cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}
    ratios = [r / p for r, p in zip(walls["ray"], walls["pool"], strict=True)]
    print(json.dumps({"case": "2000-step MLP wall time, ray / pool", "ratio": round(statistics.median(ratios), 3),
                      "target": 1.3, "ray_s": [round(x, 2) for x in walls["ray"]],
                      "pool_s": [round(x, 2) for x in walls["pool"]], **context}))
    for name, samples in firsts.items():
        print(json.dumps({"case": f"POST -> first metrics event, {name}, warm",
                          "median_s": round(statistics.median(samples), 3), "max_s": round(max(samples), 3),
                          "target_s": 1.5 if name == "ray" else 0.5, "n": len(samples), **context}))
    for name, samples in pauses.items():
        print(json.dumps({"case": f"pause -> paused event, {name}", "median_s": round(statistics.median(samples), 3),
                          "max_s": round(max(samples), 3), "target_s": 0.5, **context}))


if __name__ == "__main__":
    main()
