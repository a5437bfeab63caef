"""TPE with median pruning against random search, at equal budget, side by side on one server.

Each study seed runs two sweeps of 24 trials over lr × weight decay × width of the moons MLP (400 steps each):
random search with no pruner, and TPE with the median pruner (the order flips from seed to seed). Targets: TPE's
best val loss no worse than random search's median best, over the seeds; the training steps TPE spends at most
60% of random search's.

Usage: python bench/sweeps.py [--seeds 5] [--trials 24] [--steps 400]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import httpx
from local_server import local_server

BASE = {"dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
        "optimizer": {"name": "adam", "params": {"lr": 0.01}},
        # validation at every logged step for both: best val losses read on the same grid of steps
        "train": {"batch_size": 32, "eval_every": 10, "eval_share": 1.0}}
SPACE = {"optimizer.params.lr": {"log_uniform": [1e-4, 1.0]},
         "optimizer.params.weight_decay": {"log_uniform": [1e-6, 1e-1]},
         "model.params.hidden_layers": {"choice": [[8, 8], [16, 16], [32, 32], [64, 64]]}}
STRATEGIES = {"random": ("random", "none"), "tpe+median": ("tpe", "median")}


def sweep(client: httpx.Client, sampler: str, pruner: str, seed: int, trials: int, steps: int) -> dict:
    """Run one sweep to its end; its best val loss, the steps its trials trained, how many were pruned."""
    body = {"base": {**BASE, "train": {**BASE["train"], "steps": steps}}, "space": SPACE, "trials": trials,
            "seed": seed, "sampler": sampler, "pruner": pruner, "name": f"bench {sampler}+{pruner} seed {seed}"}
    created = client.post("/api/sweeps", json=body)
    created.raise_for_status()
    started = time.perf_counter()
    while (result := client.get(f"/api/sweeps/{created.json()['id']}").json())["active"]:
        time.sleep(0.5)
    runs = [client.get(f"/api/runs/{t['run_id']}").json() for t in result["trials"]]
    return {"best": min(t["score"] for t in result["trials"] if t["score"] is not None),
            "steps": sum((r["summary"] or {}).get("steps", 0) for r in runs),
            "pruned": sum(r["status"] == "pruned" for r in runs), "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    found = {name: [] for name in STRATEGIES}
    with local_server(2, ready_timeout=120) as server, httpx.Client(base_url=server.base, timeout=120) as client:
        for seed in range(args.seeds):
            order = list(STRATEGIES) if seed % 2 == 0 else list(reversed(STRATEGIES))
            for name in order:
                found[name].append(sweep(client, *STRATEGIES[name], seed, args.trials, args.steps))
            print(json.dumps({"seed": seed, **{f"{n}_{k}": v[-1][k] for n, v in found.items() for k in v[-1]}}))
    random_median = statistics.median(r["best"] for r in found["random"])
    tpe = found["tpe+median"]
    print(json.dumps({
        "case": f"{args.trials} trials of lr x weight decay x width, moons MLP, {args.seeds} study seeds",
        "tpe_best_median": round(statistics.median(r["best"] for r in tpe), 4),
        "tpe_best_worst": round(max(r["best"] for r in tpe), 4), "random_best_median": round(random_median, 4),
        "tpe_seeds_no_worse_than_random_median": sum(r["best"] <= random_median for r in tpe),
        "steps_ratio": round(sum(r["steps"] for r in tpe) / sum(r["steps"] for r in found["random"]), 3),
        "steps_target": 0.6, "pruned_per_sweep": statistics.mean(r["pruned"] for r in tpe),
        "machine": platform.machine(), "cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2),
    }))


if __name__ == "__main__":
    main()
