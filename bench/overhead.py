"""Training steps per second: engine.trainer.train against a bare PyTorch loop on the same model, data and batches.

Usage: python bench/overhead.py [--repeats N] [--device cpu|cuda] [--case NAME ...] [--steps N] [--profile] [--served]
(one thread for both loops; --served starts a one-worker server). Prints one JSON line per case; target:
engine ÷ bare >= TARGET (median of interleaved pairs). The resnet case (a ResNet on 32×32 images) runs only when
named: gpu.sh does.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from bench.machine import cuda_memory, describe, missing_package, reset_cuda_memory  # noqa: E402
from engine import datasets, devices  # noqa: E402
from engine.config import RunConfig, resolve  # noqa: E402
from engine.datasets import DataBundle  # noqa: E402
from engine.events import Done, Status  # noqa: E402
from engine.losses import Objective, losses  # noqa: E402
from engine.optimizers import optimizers  # noqa: E402
from engine.optimizers._lean import torch_twin  # noqa: E402
from engine.solo import evaluate  # noqa: E402
from engine.trainer import TRAIN_EVAL_SAMPLES, BatchOrder, build_model, train  # noqa: E402

TARGET = {"mlp_moons": 1.2, "cnn_mnist1d": 1.0, "resnet_shapes": 1.0}
DEFAULT_CASES = ("mlp_moons", "cnn_mnist1d")
CASES = {
    "mlp_moons": {
        "dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
        "optimizer": {"name": "adam", "params": {"lr": 0.01}},
        "train": {"steps": 3000, "batch_size": 32, "seed": 0, "eval_every": 10, "device": "cpu"},
    },
    # the 3-conv CNN of DESIGN.md's measured facts (cnn defaults: 16/32/32 channels), batch 100
    "cnn_mnist1d": {
        "dataset": {"name": "mnist1d"}, "model": {"name": "cnn"}, "loss": {"name": "cross_entropy"},
        "optimizer": {"name": "adam", "params": {"lr": 0.01}},
        "train": {"steps": 1000, "batch_size": 100, "seed": 0, "eval_every": 10, "device": "cpu"},
    },
    # an image network of the size a GPU is for: resnet defaults (16/32/64 channels) on 32×32 shapes, batch 128
    "resnet_shapes": {
        "dataset": {"name": "shapes", "params": {"n_samples": 5000, "image_size": 32}}, "model": {"name": "resnet"},
        "loss": {"name": "cross_entropy"}, "optimizer": {"name": "adam", "params": {"lr": 0.01}},
        "train": {"steps": 500, "batch_size": 128, "seed": 0, "eval_every": 10, "device": "cpu"},
    },
}


def machine() -> dict:
    """What served.py's lines say about where they ran: the CPU, as this bench's own lines do."""
    return describe("cpu")


def run_engine(config: RunConfig) -> tuple[float, float, float]:
    """Seconds from the trainer's 'running' status to its Done (setup excluded, like the bare loop), and the
    final val_loss (both sides end on the same weights, so it must agree), and the share of the run's time its
    validation took (the eval-share budget). Events go to a list, as cheap as a sink can be."""
    events: list = []
    marks: dict[str, float] = {}

    def emit(event) -> None:
        if isinstance(event, Status) and event.status == "running" and "start" not in marks:
            marks["start"] = time.perf_counter()
        elif isinstance(event, Done):
            marks["end"] = time.perf_counter()
        events.append(event)

    called = time.perf_counter()
    done = train(config, emit)
    assert done.status == "completed", done
    seconds = marks["end"] - marks.get("start", called)
    return seconds, done.summary["val_loss"], done.summary["validation_seconds"] / seconds


@dataclass
class Bare:
    """What a hand-written loop holds: built from the same engine pieces as a run, so that model, init, data and
    batch order are identical; the optimizer is torch's own class with the run's hyperparameters and torch's
    default implementation (no fused or foreach choice), as a person writes it."""

    config: RunConfig
    device: torch.device
    data: DataBundle
    objective: Objective
    model: nn.Module
    optimizer: torch.optim.Optimizer
    batches: BatchOrder
    y_train: torch.Tensor

    @classmethod
    def build(cls, config: RunConfig, fused: bool | None = None) -> Bare:
        plan, settings = resolve(config), config.train
        device = devices.pick(settings.device)
        torch.manual_seed(settings.seed)  # same point in the RNG stream as the trainer, so the init matches
        data = datasets.load(plan.names["dataset"], plan.params["dataset"], settings.seed).to(device)
        objective = losses[plan.names["loss"]].build(plan.params["loss"], plan.info)
        model = build_model(plan, objective).to(device)
        engines = optimizers[plan.names["optimizer"]].build(plan.params["optimizer"], list(model.parameters()))
        optimizer = torch_twin(engines, model.parameters(), fused)
        batches = BatchOrder(plan.n_train, plan.batch_size, settings.seed, device)
        return cls(config, device, data, objective, model, optimizer, batches, objective.prepare(data.y_train))

    def step(self, model: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
        index = self.batches.next()
        x_train = self.data.x_train
        xb, yb = (x_train, self.y_train) if index is None else (x_train[index], self.y_train[index])
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.objective.fn((model or self.model)(xb), yb)
        loss.backward()
        self.optimizer.step()
        return loss


def run_bare(config: RunConfig, with_eval: bool = False, log=None, on_model=None,
             fused: bool | None = None) -> tuple[float, float]:
    """The loop a person would write by hand. with_eval adds the engine's own evaluate() on the same tensors
    every eval_every (handed to `log` when given); fused=True asks torch for the fused kernel the engine steps with."""
    bare = Bare.build(config, fused)
    data, objective, model, every = bare.data, bare.objective, bare.model, config.train.eval_every
    if on_model is not None:
        on_model(model)  # vs_tensorboard.py's logger reads the layers
    x_seen, y_seen = data.x_train[:TRAIN_EVAL_SAMPLES], data.y_train[:TRAIN_EVAL_SAMPLES]
    start = time.perf_counter()
    for step in range(1, resolve(config).total_steps + 1):
        bare.step()
        if with_eval and step % every == 0:
            seen, val = evaluate(model, objective, x_seen, y_seen), evaluate(model, objective, data.x_val, data.y_val)
            if log is not None:  # vs_tensorboard.py: the same readings handed to a logger (SummaryWriter)
                log(step, {"train_loss": seen[0], "train_acc": seen[1], "val_loss": val[0], "val_acc": val[1],
                           "lr": bare.optimizer.param_groups[0]["lr"]})
    devices.synchronize(bare.device)  # the GPU runs behind the host: the loop has ended when its work has
    seconds = time.perf_counter() - start
    return seconds, evaluate(model, objective, data.x_val, data.y_val)[0]


def configured(raw: dict, device: str, steps: int | None) -> RunConfig:
    train_settings = {**raw["train"], "device": device, **({"steps": steps} if steps else {})}
    return RunConfig.model_validate({**raw, "train": train_settings})


def measure(name: str, config: RunConfig, repeats: int, budget_s: float) -> dict:
    steps = resolve(config).total_steps
    device = config.train.device
    start = time.monotonic()
    reset_cuda_memory(device)
    # warm-up (data caches, first allocations), and the check that both sides train the same model, init, data
    # and batches: the engine ends where a bare loop on torch's fused kernel ends (torch's default kernel rounds
    # differently, and over 1 000 steps of the CNN the two runs drift apart: val loss 0.235 against 0.282)
    engine_loss, fused_loss = run_engine(config)[1], run_bare(config, fused=True)[1]
    run_bare(config), run_bare(config, True)
    engine_s, bare_s, bare_eval_s, ratios, ratios_eval, shares = [], [], [], [], [], []
    for i in range(repeats):
        if i >= 3 and time.monotonic() - start > budget_s:
            break  # a busy machine: three rounds still give a median
        # interleaved, and the order flips each round so a slow drift of the machine hits both sides alike
        order = ["engine", "bare", "bare_eval"] if i % 2 == 0 else ["bare_eval", "bare", "engine"]
        got = {}
        for side in order:
            if side == "engine":
                got[side] = run_engine(config)
            else:
                got[side] = run_bare(config, with_eval=side == "bare_eval")
        engine_s.append(got["engine"][0])
        shares.append(got["engine"][2])
        bare_s.append(got["bare"][0])
        bare_eval_s.append(got["bare_eval"][0])
        ratios.append(got["bare"][0] / got["engine"][0])  # steps/s engine over steps/s bare
        ratios_eval.append(got["bare_eval"][0] / got["engine"][0])
    ratio = statistics.median(ratios)
    return {
        "bench": "overhead", "case": name, **describe(device), "steps": steps,
        "batch_size": config.train.batch_size, "eval_every": config.train.eval_every, "repeats": len(ratios),
        "ratio_engine_over_bare": round(ratio, 3),
        "ratios": [round(r, 3) for r in ratios],
        # fastest of each side: less sensitive to other load on a shared machine
        "ratio_of_best_times": round(min(bare_s) / min(engine_s), 3),
        # the same loop plus the engine's evaluate() on the same schedule: what is left is loop overhead
        "ratio_engine_over_bare_with_eval": round(statistics.median(ratios_eval), 3),
        "engine_steps_per_s": round(steps / statistics.median(engine_s), 1),
        "bare_steps_per_s": round(steps / statistics.median(bare_s), 1),
        "bare_with_eval_steps_per_s": round(steps / statistics.median(bare_eval_s), 1),
        # validation's share of the engine's run time: eval_share (4%) gives it three quarters, 3%
        "validation_share": round(statistics.median(shares), 4), "eval_share": config.train.eval_share,
        "same_result": abs(engine_loss - fused_loss) < 1e-4,
        "final_val_loss": {"engine": round(engine_loss, 5), "bare_fused": round(fused_loss, 5),
                           "bare": round(got["bare"][1], 5)},
        **cuda_memory(device),  # the peak of all three sides (the engine's validation and probes included)
        "target": TARGET[name], "pass": ratio >= TARGET[name],
    }


def profile(config: RunConfig, top: int = 25) -> None:
    run_engine(config)
    profiler = cProfile.Profile()
    profiler.enable()
    run_engine(config)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    sys.stderr.write(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds per case (at least 3 are run)")
    parser.add_argument("--budget-s", type=float, default=50.0, help="per case: no new round after this long")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top engine costs to stderr")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--case", action="append", choices=list(CASES), help="repeatable; default: mlp and cnn")
    parser.add_argument("--steps", type=int, help="steps per run in place of each case's own (a quick check)")
    parser.add_argument("--served", action="store_true", help="also train each case through a server (served.py)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name in args.case or DEFAULT_CASES:
        raw = CASES[name]
        package = missing_package(raw["dataset"]["name"])
        if package:
            print(json.dumps({"bench": "overhead", "case": name, "skipped": f"the package {package} is missing"}))
            continue
        config = configured(raw, args.device, args.steps)
        print(json.dumps(measure(name, config, args.repeats, args.budget_s)), flush=True)
        if args.profile:
            profile(config)
        if args.served:
            from bench import served

            rounds = max(args.repeats, served.ROUNDS)
            budget_s = max(args.budget_s, served.BUDGET_S)
            print(json.dumps(served.measure(name, raw, rounds, budget_s, machine())), flush=True)


if __name__ == "__main__":
    main()
