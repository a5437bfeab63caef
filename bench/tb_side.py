"""TensorBoard's side of vs_tensorboard.py, run by the TensorBoard venv's python (bench/README.md says how to make
it): that venv reaches torch and Descent's own packages through a .pth file, and adds tensorboard, which Descent
never needs. Each mode prints one JSON line.

  fill DIR N            N points of one scalar series (train_loss) in DIR/run, as SummaryWriter writes them
  train REPEATS DIR     engine ÷ bare loop and bare loop + SummaryWriter ÷ bare loop, interleaved, MLP on moons
  first URL DIR N       add_scalar + flush to the point showing in TensorBoard's HTTP API, N times (median)
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import torch  # noqa: E402
from torch.utils.tensorboard import SummaryWriter  # noqa: E402

from bench.overhead import CASES, run_bare, run_engine  # noqa: E402
from engine.config import RunConfig  # noqa: E402

HISTOGRAM_EVERY = 750


def fill(folder: str, n: int) -> dict:
    writer = SummaryWriter(str(Path(folder) / "run"), max_queue=10_000, flush_secs=3600)
    for step in range(n):
        writer.add_scalar("train_loss", 2.0 * math.exp(-step / 20_000) + 0.05 * math.sin(step / 37.0) ** 2, step)
    writer.close()
    return {"points": n}


def run_writer(config: RunConfig, folder: str) -> tuple[float, float]:
    """The bare loop logging what the engine reads by default through a SummaryWriter at every eval_every steps:
    losses, accuracies and lr, then per layer the gradient norm, weight norm and update ratio (against the last
    logged point), and weight and gradient histograms as often as the engine's histograms probe takes them in
    this run (4 times in 3 000 steps, under its time budget). Validation runs at every logged point here, where
    the engine's budget spreads it out (33 times): this side does more of it."""
    writer = SummaryWriter(folder)
    model: list[torch.nn.Module] = []
    before: dict[str, torch.Tensor] = {}

    def log(step: int, readings: dict) -> None:
        for name, value in readings.items():
            if value is not None:
                writer.add_scalar(name, value, step)
        layers = [(n, p) for n, p in model[0].named_parameters() if n.endswith("weight")]
        norms = [p.grad.norm() for _, p in layers if p.grad is not None]
        writer.add_scalar("grad_norm", torch.linalg.vector_norm(torch.stack(norms)).item(), step)
        for name, weight in layers:
            writer.add_scalar(f"grad_norm/{name}", weight.grad.norm().item(), step)
            writer.add_scalar(f"weight_norm/{name}", weight.norm().item(), step)
            if name in before:
                writer.add_scalar(f"update_ratio/{name}", ((weight - before[name]).norm() / weight.norm()).item(), step)
            before[name] = weight.detach().clone()
            if step % HISTOGRAM_EVERY == 0:
                writer.add_histogram(f"weights/{name}", weight, step)
                writer.add_histogram(f"grads/{name}", weight.grad, step)

    try:
        return run_bare(config, with_eval=True, log=log, on_model=model.append)
    finally:
        writer.close()


def train(repeats: int, folder: str) -> dict:
    torch.set_num_threads(1)
    config = RunConfig.model_validate(CASES["mlp_moons"])
    run_engine(config), run_bare(config), run_writer(config, f"{folder}/warm")  # warm-up
    engine, writer = [], []
    for i in range(repeats):
        sides = ["engine", "bare", "writer"] if i % 2 == 0 else ["writer", "bare", "engine"]
        got = {}
        for side in sides:
            if side == "engine":
                got[side] = run_engine(config)[0]
            elif side == "bare":
                got[side] = run_bare(config)[0]
            else:
                got[side] = run_writer(config, f"{folder}/{i}")[0]
        engine.append(got["bare"] / got["engine"])
        writer.append(got["bare"] / got["writer"])
    return {"engine_over_bare": statistics.median(engine), "writer_over_bare": statistics.median(writer),
            "rounds": repeats}


def first(url: str, folder: str, n: int) -> dict:
    """Each sample a fresh run folder (as a fresh training script makes): written, then polled for."""
    samples = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for i in range(n):
            run = f"first{i}"
            start = time.perf_counter()
            writer = SummaryWriter(str(Path(folder) / run))
            writer.add_scalar("train_loss", 0.5, 0)
            writer.flush()
            while True:
                got = client.get("/data/plugin/scalars/scalars", params={"run": run, "tag": "train_loss"})
                if got.status_code == 200 and got.json():
                    break
                time.sleep(0.01)
            samples.append(time.perf_counter() - start)
            writer.close()
    return {"median_s": statistics.median(samples), "samples": [round(s, 3) for s in samples]}


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "fill":
        print(json.dumps(fill(args[0], int(args[1]))))
    elif mode == "train":
        print(json.dumps(train(int(args[0]), args[1])))
    elif mode == "first":
        print(json.dumps(first(args[0], args[1], int(args[2]))))
    else:
        sys.exit(f"unknown mode {mode!r}")
