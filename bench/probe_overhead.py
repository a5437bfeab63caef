"""What the default probes cost: the same run with probes null (the defaults that apply) and with probes [].

Usage: python bench/probe_overhead.py [--repeats N] [--budget-s S]   (no server needed; one torch thread)
Prints one JSON line per case; target: seconds with the default probes ÷ seconds with none <= 1.05 (median of
interleaved pairs, the whole train() call timed, so probe set-up counts too). probe_time_share, the time spent
inside probe readings and hooks ÷ the run's time, is measured within one run and so barely moves with the load.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

import engine.probes.budget  # noqa: E402
from engine.config import RunConfig, resolve  # noqa: E402
from engine.events import Metrics, Probe, dumps, wire  # noqa: E402
from engine.trainer import train  # noqa: E402

TARGET = 1.05
CASES = {
    "mlp_moons": {
        "dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
        "optimizer": {"name": "adam", "params": {"lr": 0.01}},
        "train": {"steps": 3000, "batch_size": 32, "seed": 0, "eval_every": 10, "device": "cpu"},
    },
    # cnn defaults (16/32/32 channels, 3×3, max pool, FC 64) on 16×16 shapes
    "cnn_shapes": {
        "dataset": {"name": "shapes"}, "model": {"name": "cnn"}, "loss": {"name": "cross_entropy"},
        "optimizer": {"name": "adam", "params": {"lr": 0.003}},
        "train": {"steps": 600, "batch_size": 32, "seed": 0, "eval_every": 10, "device": "cpu"},
    },
}


def machine() -> dict:
    return {"machine": platform.machine(), "cpus": os.cpu_count(), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "load_avg_1m": round(os.getloadavg()[0], 2)}


SPENT = {"probes": 0.0}  # seconds inside probe readings and watch hooks, summed over a run


def _timed(fn):
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT["probes"] += time.perf_counter() - began

    return wrapper


def _build_timed(chosen, ctx, build=engine.probes.budget.build_all):
    """The trainer's own probe builder, with every reading and hook timed: a second, load-proof estimate."""
    runners, watches = build(chosen, ctx)
    for runner in runners:
        runner.read = _timed(runner.read)
    for watch in watches:
        for hook in ("on_train_batch_start", "on_before_optimizer_step", "metrics"):
            setattr(watch, hook, _timed(getattr(watch, hook)))
    return runners, watches


def run(config: RunConfig) -> tuple[float, float, list]:
    """(wall seconds, CPU seconds of this process, events): with one torch thread the CPU time is the work done,
    and moves less than the wall time when other processes share the cores."""
    events: list = []
    SPENT["probes"] = 0.0
    began, cpu = time.perf_counter(), time.process_time()
    done = train(config, events.append)
    assert done.status == "completed", done
    return time.perf_counter() - began, time.process_time() - cpu, events


def describe(events: list) -> dict:
    """Readings per probe and the largest one's size on the wire; how many metric names a point carries."""
    probes: dict[str, dict] = {}
    for event in events:
        if isinstance(event, Probe):
            entry = probes.setdefault(event.name, {"readings": 0, "max_bytes": 0})
            entry["readings"] += 1
            entry["max_bytes"] = max(entry["max_bytes"], len(dumps(wire(event)[1])))
    last = [e for e in events if isinstance(e, Metrics)][-1]
    return {"probes": probes, "metric_names": len(last.values)}


def measure(name: str, raw: dict, repeats: int, budget_s: float) -> dict:
    with_probes = RunConfig.model_validate({**raw, "probes": None})
    without = RunConfig.model_validate({**raw, "probes": []})
    run(with_probes), run(without)  # warm-up: data caches, first allocations
    seconds = {"default": [], "none": []}
    ratios, cpu_ratios, events, shares = [], [], [], []
    start = time.monotonic()
    for i in range(repeats):
        if i >= 3 and time.monotonic() - start > budget_s:
            break
        # interleaved, the order flipping each round, so a drift of the machine hits both sides alike
        order = ["default", "none"] if i % 2 == 0 else ["none", "default"]
        got, cpu = {}, {}
        for side in order:
            got[side], cpu[side], side_events = run(with_probes if side == "default" else without)
            if side == "default":
                events = side_events
                shares.append(SPENT["probes"] / got[side])
            seconds[side].append(got[side])
        ratios.append(got["default"] / got["none"])
        cpu_ratios.append(cpu["default"] / cpu["none"])
    ratio = statistics.median(ratios)
    return {
        "bench": "probe_overhead", "case": name, **machine(), "steps": resolve(without).total_steps,
        "default_probes": [n for n, _ in resolve(with_probes).probes], "repeats": len(ratios),
        "ratio_default_over_none": round(ratio, 4), "ratios": [round(r, 4) for r in ratios],
        "ratio_of_best_times": round(min(seconds["default"]) / min(seconds["none"]), 4),
        "cpu_time_ratio": round(statistics.median(cpu_ratios), 4),
        "seconds_default": round(statistics.median(seconds["default"]), 3),
        "seconds_none": round(statistics.median(seconds["none"]), 3),
        # time inside probe readings and watch hooks ÷ the run's time, measured in the same run (load-proof)
        "probe_time_share": round(statistics.median(shares), 4),
        **describe(events), "target": TARGET, "pass": ratio <= TARGET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds per case (at least 3 are run)")
    parser.add_argument("--budget-s", type=float, default=60.0, help="per case: no new round after this long")
    args = parser.parse_args()
    torch.set_num_threads(1)
    engine.probes.budget.build_all = _build_timed
    for name, raw in CASES.items():
        print(json.dumps(measure(name, raw, args.repeats, args.budget_s)), flush=True)


if __name__ == "__main__":
    main()
