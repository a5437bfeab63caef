"""What each network family reaches with its defaults: every built-in data set × every network that accepts it,
trained with the network's default params (sized for the data) and Adam, scored once on the test split.

Usage: python bench/default_accuracy.py [--steps 2000] [--seed 0] [--only mnist1d,digits] [--markdown]
Prints one JSON line per pair (test_acc for classification, test_loss (MSE) for regression), then, with
--markdown, the README's table. Adam's lr is the builder's: 0.01, or the network's suggested_lr where it has one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from engine.config import RunConfig  # noqa: E402
from engine.datasets import data_info, datasets  # noqa: E402
from engine.networks import networks  # noqa: E402
from engine.trainer import train  # noqa: E402

BUILDER_LR = 0.01  # what the builder opens with (app/routes/pages.py DEFAULT_CONFIG)


def pairs(only: set[str]) -> list[tuple[str, str]]:
    chosen = []
    for dataset in datasets:
        if dataset.meta.get("user_data") or (only and dataset.name not in only):
            continue
        for network in networks:
            if dataset.meta["kind"] in network.meta["accepts"]:
                chosen.append((dataset.name, network.name))
    return chosen


def measure(dataset: str, network: str, steps: int, seed: int) -> dict:
    info = data_info(dataset, datasets[dataset].params())
    entry = networks[network]
    loss = entry.meta.get("suggested_loss") or ("cross_entropy" if info.task == "classification" else "mse")
    lr = entry.meta.get("suggested_lr", BUILDER_LR)
    config = RunConfig.model_validate({
        "dataset": {"name": dataset}, "model": {"name": network}, "loss": {"name": loss},
        "optimizer": {"name": "adam", "params": {"lr": lr}}, "probes": [],
        "train": {"steps": steps, "batch_size": 32, "seed": seed, "eval_every": max(10, steps // 100),
                  "device": "cpu"},
    })
    began = time.perf_counter()
    done = train(config, lambda event: None)
    summary = done.summary
    return {
        "bench": "default_accuracy", "dataset": dataset, "network": network, "task": info.task, "loss": loss,
        "lr": lr, "steps": steps, "seed": seed, "status": done.status,
        "test_acc": summary.get("test_acc"), "test_loss": summary.get("test_loss"),
        "val_acc": summary.get("val_acc"), "fit": summary.get("fit"),
        "seconds": round(time.perf_counter() - began, 1), "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def table(rows: list[dict]) -> str:
    """The README's table: a row per data set, a column per network family; accuracy in %, or the MSE."""
    families = [n.name for n in networks if any(r["network"] == n.name for r in rows)]
    lines = ["| data set | " + " | ".join(families) + " |", "|---|" + "---|" * len(families)]
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        cells = []
        for family in families:
            row = next((r for r in rows if r["dataset"] == dataset and r["network"] == family), None)
            if row is None:
                cells.append("")
            elif row["status"] != "completed":
                cells.append(row["status"])
            elif row["task"] == "classification":
                cells.append(f"{100 * row['test_acc']:.1f}%")
            else:
                cells.append(f"{row['test_loss']:.3g}")
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated data sets (default: all built-in ones)")
    parser.add_argument("--markdown", action="store_true", help="print the README table at the end")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sys.stderr.write(json.dumps({"machine": platform.machine(), "cpus": os.cpu_count(), "torch": torch.__version__})
                     + "\n")
    rows = []
    for dataset, network in pairs(set(filter(None, args.only.split(",")))):
        rows.append(measure(dataset, network, args.steps, args.seed))
        print(json.dumps(rows[-1]), flush=True)
    if args.markdown:
        print(table(rows))


if __name__ == "__main__":
    main()
