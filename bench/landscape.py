"""Loss-landscape timing and the skip-connection contrast of Li et al. 2018.

Usage: python bench/landscape.py [--n 51] [--contrast-n 21] [--contrast-span 0.5] [--depths 4,8] [--device cpu|cuda]
[--steps N] (no server; --depths "" leaves the contrast out)
Prints JSON: seconds for an n×n random-direction landscape of the MNIST-1D CNN, many grid points per forward (the
app's way) and one at a time, with the largest difference between the two grids; then for ResNets on digits with
and without skip connections (blocks_per_stage [d, d, d] for each depth d) the same slice's share of markedly
non-convex points (|λmin/λmax| > 0.1, Li et al.'s figure 7), its grid-local minima, and the mean loss on the
grid's edge minus the loss at its centre.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.machine import describe, missing_package  # noqa: E402
from engine.config import RunConfig  # noqa: E402
from engine.lab.landscape import landscape  # noqa: E402
from engine.trainer import train  # noqa: E402

CNN = {"dataset": {"name": "mnist1d"}, "model": {"name": "cnn"}, "loss": {"name": "cross_entropy"},
       "optimizer": {"name": "adam", "params": {"lr": 0.01}},
       "train": {"steps": 300, "batch_size": 100, "seed": 0, "device": "cpu"}}
# deeper than the default so that the plain net is deep enough to be hard to train, as in the paper's contrast
RESNET = {"dataset": {"name": "digits"}, "loss": {"name": "cross_entropy"},
          "optimizer": {"name": "momentum", "params": {"lr": 0.05, "momentum": 0.9}},
          "train": {"steps": 400, "batch_size": 64, "seed": 0, "device": "cpu"}}


def trained(data: dict) -> tuple[RunConfig, dict, int, float]:
    config = RunConfig.model_validate(data)
    saved: dict[int, dict] = {}
    began = time.perf_counter()
    train(config, lambda event: None, save=lambda step, state: saved.__setitem__(step, state))
    last = max(saved)
    return config, saved[last]["model"], last, time.perf_counter() - began


def sharpness(loss: list[list[float | None]]) -> dict:
    """Mean loss on the grid's outer ring minus the centre's, and as a ratio (a non-finite point counts as 1e3)."""
    grid = torch.tensor([[1e3 if v is None else min(v, 1e3) for v in row] for row in loss])
    n = len(grid)
    ring = torch.cat([grid[0], grid[-1], grid[1:-1, 0], grid[1:-1, -1]])
    centre = float(grid[n // 2, n // 2])
    return {"centre_loss": round(centre, 4), "edge_mean_loss": round(float(ring.mean()), 4),
            "edge_minus_centre": round(float(ring.mean()) - centre, 4),
            "edge_over_centre": round(float(ring.mean()) / max(centre, 1e-8), 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=51)
    parser.add_argument("--contrast-n", type=int, default=21)
    parser.add_argument("--contrast-span", type=float, default=0.5)
    parser.add_argument("--depths", default="4,8", help="residual blocks per stage, comma-separated")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--steps", type=int, default=CNN["train"]["steps"], help="the CNN's training steps")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the app's worker runs it

    def on_device(data: dict, **more) -> dict:
        return {**data, "train": {**data["train"], "device": args.device, **more}}

    package = missing_package(CNN["dataset"]["name"])
    if package:
        print(json.dumps({"bench": "landscape", "skipped": f"the package {package} is missing"}))
    else:
        cnn_landscape(on_device(CNN, steps=args.steps), args.n)
    contrast(on_device(RESNET), [int(d) for d in args.depths.split(",") if d], args.contrast_n, args.contrast_span)


def cnn_landscape(data: dict, n: int) -> None:
    """The grid both ways, interleaved: many points per forward and one at a time; `seconds` is the app's way on this
    device (engine/lab/landscape.surface folds on a GPU, and on a CPU evaluates one point at a time)."""
    config, final, last, train_s = trained(data)
    seconds: dict[str, list[float]] = {"batched": [], "one_at_a_time": []}
    cpu: dict[str, list[float]] = {"batched": [], "one_at_a_time": []}
    results = {}
    for way in ["batched", "one_at_a_time", "batched"] if n <= 25 else ["batched", "one_at_a_time"]:
        began, began_cpu = time.perf_counter(), time.process_time()
        results[way] = landscape(config, final, last, "random", n=n, span=1.0, samples=512,
                                 batched=way == "batched")
        seconds[way].append(time.perf_counter() - began)
        cpu[way].append(time.process_time() - began_cpu)
    grid = {way: torch.tensor([[math.nan if v is None else v for v in row] for row in r["loss"]])
            for way, r in results.items()}
    difference = (grid["batched"] - grid["one_at_a_time"]).abs().nan_to_num().max().item()
    app_way = "one_at_a_time" if config.train.device == "cpu" else "batched"
    print(json.dumps({"bench": "landscape", **describe(config.train.device), "model": "cnn on mnist1d",
                      "steps": last, "train_seconds": round(train_s, 2), "grid": f"{n}x{n}", "samples": 512,
                      "app_way": app_way, "seconds": round(min(seconds[app_way]), 2),
                      "seconds_batched": round(min(seconds["batched"]), 2),
                      "seconds_one_at_a_time": round(min(seconds["one_at_a_time"]), 2),
                      # CPU time of this process: what other load on a shared machine moves least
                      "cpu_seconds": round(min(cpu[app_way]), 2), "cpu_seconds_batched": round(min(cpu["batched"]), 2),
                      "cpu_seconds_one_at_a_time": round(min(cpu["one_at_a_time"]), 2),
                      "ms_per_point": round(1000 * min(seconds[app_way]) / n**2, 3),
                      "max_abs_difference": difference, "target_s": 10.0, "pass": min(seconds[app_way]) <= 10.0,
                      **sharpness(results["batched"]["loss"])}), flush=True)


def contrast(base: dict, depths: list[int], n: int, span: float) -> None:
    if depths and missing_package(base["dataset"]["name"]):
        print(json.dumps({"bench": "landscape_resnet_contrast", "skipped": "the package sklearn is missing"}))
        return
    for depth in depths:
        shapes = {}
        for skip in (True, False):
            data = {**base, "model": {"name": "resnet", "params": {"blocks_per_stage": [depth] * 3,
                                                                       "skip_connections": skip}}}
            config, final, last, train_s = trained(data)
            began = time.perf_counter()
            result = landscape(config, final, last, "random", n=n, span=span, samples=512)
            shape = result["curvature"]
            shapes["skip" if skip else "no_skip"] = {
                "train_seconds": round(train_s, 1), "landscape_seconds": round(time.perf_counter() - began, 1),
                "nonconvex_share": round(shape["nonconvex_share"], 3), "local_minima": shape["local_minima"],
                **sharpness(result["loss"])}
        print(json.dumps({"bench": "landscape_resnet_contrast", **describe(base["train"]["device"]),
                          "model": f"resnet [{depth},{depth},{depth}] on digits", "span": span,
                          "grid": f"{n}x{n}", **shapes}), flush=True)

if __name__ == "__main__":
    main()
