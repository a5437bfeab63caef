"""Issue 13's targets: an 8-member race ÷ one run of the same config, MLP on moons ≤ 2.0×, CNN on MNIST-1D ≤ 3.0×.

Side by side in one process, interleaved (the order flips each round): engine.trainer.train_members over 8
optimizers versus engine.trainer.train of one member (adam), same data, steps and default probes, one thread.
Prints one JSON line per case with the median ratio, the same ratio for the training step alone (forward, backward
and every member's optimizer step: what batching saves on this device before logging), and the load average.
Usage: python bench/race.py [--repeats N] [--mlp-steps N] [--cnn-steps N] [--case NAME] [--device cuda] [--threads N]
A case whose data set needs a package this interpreter lacks prints a "skipped" line (bench/gpu.sh on a bare GPU).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.machine import describe, missing_package  # noqa: E402
from engine import devices  # noqa: E402
from engine.batching import batching_obstacle  # noqa: E402
from engine.config import RunConfig, resolve  # noqa: E402
from engine.control import Control  # noqa: E402
from engine.trainer import Job, Member, set_up, train, train_members  # noqa: E402

OPTIMIZERS = [("sgd", 0.1), ("momentum", 0.1), ("nesterov", 0.1), ("adagrad", 0.1), ("rmsprop", 0.01),
              ("adam", 0.01), ("adamw", 0.01), ("nadam", 0.01)]
SINGLE = 5  # adam: the usual single run
CASES = {
    "mlp_moons": ({"dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
                   "train": {"batch_size": 32, "device": "cpu"}}, 2.0),
    # the 3-conv CNN of DESIGN.md's measured facts (cnn defaults: 16/32/32 channels), batch 100
    "cnn_mnist1d": ({"dataset": {"name": "mnist1d"}, "model": {"name": "cnn"}, "loss": {"name": "cross_entropy"},
                     "train": {"batch_size": 100, "device": "cpu"}}, 3.0),
}


def members(base: dict, steps: int, device: str = "cpu") -> list[RunConfig]:
    body = {**base, "train": {**base["train"], "steps": steps, "device": device}}
    return [RunConfig.model_validate({**body, "optimizer": {"name": n, "params": {"lr": lr}}}) for n, lr in OPTIMIZERS]


def timed(fn, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): with one torch thread the CPU time is the work done, and
    moves less than the wall time when other processes share the cores."""
    started, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - started, time.process_time() - cpu


def race(configs: list[RunConfig]) -> None:
    train_members([Member(c, lambda e: None) for c in configs])


def stepper(configs: list[RunConfig]):
    """One training step of these members without the loop around it, on the bench's first batch."""
    job: Job = set_up([Member(c, lambda e: None) for c in configs], [resolve(c) for c in configs], Control())
    index = job.batches.next()
    inputs, loss_of = job.tricks.prepare(job.data.x_train[index], job.y_train[index], job.loss_fn)

    def step() -> None:
        job.stepper.step(job.live, inputs, loss_of, False)
        devices.synchronize(job.device)

    return step


def step_ratio(configs: list[RunConfig], repeats: int, steps: int = 50) -> float:
    """The race's training step ÷ one member's, median of interleaved rounds of `steps` steps each."""
    race_step, single_step = stepper(configs), stepper([configs[SINGLE]])
    ratios = []
    for i in range(repeats):
        order = (race_step, single_step) if i % 2 == 0 else (single_step, race_step)
        seconds = {f: timed(lambda f=f: [f() for _ in range(steps)])[0] for f in order}
        ratios.append(seconds[race_step] / seconds[single_step])
    return statistics.median(ratios)


def measure(name: str, configs: list[RunConfig], target: float, repeats: int) -> dict:
    load_before = os.getloadavg()[0]
    single = configs[SINGLE]
    race(configs), train(single, lambda e: None)  # warm-up: data caches, first allocations
    race_s, single_s, ratios, cpu_ratios = [], [], [], []
    for i in range(repeats):
        if i % 2 == 0:
            raced, alone = timed(race, configs), timed(train, single, lambda e: None)
        else:
            alone, raced = timed(train, single, lambda e: None), timed(race, configs)
        race_s.append(raced[0])
        single_s.append(alone[0])
        ratios.append(raced[0] / alone[0])
        cpu_ratios.append(raced[1] / alone[1])
    ratio = statistics.median(ratios)
    return {
        "bench": "race", "case": name, **describe(single.train.device), "members": len(configs),
        "steps": resolve(single).total_steps, "batched": batching_obstacle([resolve(c) for c in configs]) is None,
        "race_s": round(statistics.median(race_s), 3), "single_s": round(statistics.median(single_s), 3),
        "ratio_race_over_single": round(ratio, 3), "ratios": [round(r, 3) for r in ratios],
        "ratio_of_best_times": round(min(race_s) / min(single_s), 3),
        "cpu_time_ratio": round(statistics.median(cpu_ratios), 3),
        "step_ratio": round(step_ratio(configs, repeats), 3), "target": target, "pass": ratio <= target,
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=4, help="interleaved rounds per case")
    parser.add_argument("--mlp-steps", type=int, default=2000)
    parser.add_argument("--cnn-steps", type=int, default=500)
    parser.add_argument("--case", choices=list(CASES), help="one case only")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="train.device of every run")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    steps = {"mlp_moons": args.mlp_steps, "cnn_mnist1d": args.cnn_steps}
    for name, (base, target) in CASES.items():
        package = missing_package(base["dataset"]["name"])
        if args.case in (None, name) and package:
            print(json.dumps({"bench": "race", "case": name, "skipped": f"the package {package} is missing"}))
        elif args.case in (None, name):
            configs = members(base, steps[name], args.device)
            print(json.dumps(measure(name, configs, target, args.repeats)), flush=True)


if __name__ == "__main__":
    main()
