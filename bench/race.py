"""Issue 5's target: an 8-member race of a small MLP takes at most 3x the wall time of one run.

Side by side in one process, interleaved: engine.race.race over 8 optimizers versus engine.trainer.train of
one member, same data and steps, one thread. Prints one JSON line with the median ratio.
Usage: python bench/race.py [--steps N] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine.config import RunConfig  # noqa: E402
from engine.race import race  # noqa: E402
from engine.trainer import train  # noqa: E402

OPTIMIZERS = [("sgd", 0.1), ("momentum", 0.1), ("nesterov", 0.1), ("adagrad", 0.1), ("rmsprop", 0.01),
              ("adam", 0.01), ("adamw", 0.01), ("nadam", 0.01)]


def configs(steps: int) -> list[RunConfig]:
    base = {"dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
            "train": {"steps": steps, "batch_size": 32}}
    return [RunConfig.model_validate({**base, "optimizer": {"name": n, "params": {"lr": lr}}}) for n, lr in OPTIMIZERS]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    members = configs(args.steps)
    single = members[5]  # adam: the usual single run
    ratios, race_s, single_s = [], [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        race(members, [lambda e: None] * len(members))
        race_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        train(single, lambda e: None)
        single_s.append(time.perf_counter() - started)
        ratios.append(race_s[-1] / single_s[-1])
    ratio = statistics.median(ratios)
    print(json.dumps({
        "bench": "race", "machine": platform.machine(), "cpus": os.cpu_count(), "torch": torch.__version__,
        "threads": 1, "members": len(members), "steps": args.steps, "race_s": round(statistics.median(race_s), 3),
        "single_s": round(statistics.median(single_s), 3), "ratio_race_over_single": round(ratio, 3),
        "ratios": [round(r, 3) for r in ratios], "target": 3.0, "pass": ratio <= 3.0,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }))


if __name__ == "__main__":
    main()
