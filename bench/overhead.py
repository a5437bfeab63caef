"""Training steps per second: engine.trainer.train against a bare PyTorch loop on the same model, data and batches.

Usage: python bench/overhead.py [--repeats N] [--profile] [--served]   (--served starts a one-worker server)
Prints one JSON line per case; target: engine / bare >= 0.95 (median of interleaved pairs).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from engine import datasets  # noqa: E402
from engine.config import RunConfig, resolve  # noqa: E402
from engine.events import Done, Status  # noqa: E402
from engine.losses import losses  # noqa: E402
from engine.networks import networks  # noqa: E402
from engine.optimizers import optimizers  # noqa: E402
from engine.solo import evaluate  # noqa: E402
from engine.trainer import TRAIN_EVAL_SAMPLES, BatchOrder, build_model, train  # noqa: E402

TARGET = 0.95
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
}


def machine() -> dict:
    # the load average says whether others shared the cores meanwhile (ratios hold up better than absolute times)
    return {"machine": platform.machine(), "cpus": os.cpu_count(), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "load_avg_1m": round(os.getloadavg()[0], 2)}


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


def run_bare(config: RunConfig, with_eval: bool = False, log=None, on_model=None) -> tuple[float, float]:
    """The loop a person would write by hand, built from the same engine pieces so that model, init, data and
    batch order are identical. with_eval adds the engine's own evaluate() on the same tensors every eval_every."""
    plan = resolve(config)
    settings = config.train
    device = torch.device("cpu")
    torch.manual_seed(settings.seed)  # same point in the RNG stream as the trainer, so the init matches
    data = datasets.load(plan.names["dataset"], plan.params["dataset"], settings.seed)
    objective = losses[plan.names["loss"]].build(plan.params["loss"], plan.info)
    model = build_model(plan, objective)
    if on_model is not None:
        on_model(model)  # vs_tensorboard.py's logger reads the layers
    optimizer = optimizers[plan.names["optimizer"]].build(plan.params["optimizer"], model.parameters())
    batches = BatchOrder(plan.n_train, plan.batch_size, settings.seed, device)
    x_train, y_train = data.x_train, objective.prepare(data.y_train)
    x_seen, y_seen = data.x_train[:TRAIN_EVAL_SAMPLES], data.y_train[:TRAIN_EVAL_SAMPLES]
    loss_fn, every = objective.fn, settings.eval_every

    start = time.perf_counter()
    for step in range(1, plan.total_steps + 1):
        index = batches.next()
        xb, yb = (x_train, y_train) if index is None else (x_train[index], y_train[index])
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        if with_eval and step % every == 0:
            seen, val = evaluate(model, objective, x_seen, y_seen), evaluate(model, objective, data.x_val, data.y_val)
            if log is not None:  # vs_tensorboard.py: the same readings handed to a logger (SummaryWriter)
                log(step, {"train_loss": seen[0], "train_acc": seen[1], "val_loss": val[0], "val_acc": val[1],
                           "lr": optimizer.param_groups[0]["lr"]})
    seconds = time.perf_counter() - start
    return seconds, evaluate(model, objective, data.x_val, data.y_val)[0]


def measure(name: str, raw: dict, repeats: int, budget_s: float) -> dict:
    config = RunConfig.model_validate(raw)
    steps = resolve(config).total_steps
    start = time.monotonic()
    run_engine(config), run_bare(config), run_bare(config, True)  # warm-up: data caches, first allocations
    engine_s, bare_s, bare_eval_s, ratios, ratios_eval, shares = [], [], [], [], [], []
    losses_seen = set()
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
        losses_seen.add((round(got["engine"][1], 5), round(got["bare"][1], 5)))
    ratio = statistics.median(ratios)
    return {
        "bench": "overhead", "case": name, **machine(), "steps": steps,
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
        # same final train_loss on both sides = same model, init, data and batches
        "same_result": all(abs(a - b) < 1e-4 for a, b in losses_seen),
        "target": TARGET, "pass": ratio >= TARGET,
    }


def profile(raw: dict, top: int = 25) -> None:
    config = RunConfig.model_validate(raw)
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
    parser.add_argument("--served", action="store_true", help="also train each case through a server (served.py)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name, raw in CASES.items():
        if raw["model"]["name"] not in networks or raw["dataset"]["name"] not in datasets.datasets:
            sys.stderr.write(f"skipping {name}: '{raw['model']['name']}' or '{raw['dataset']['name']}' "
                             "is not registered yet\n")
            continue
        print(json.dumps(measure(name, raw, args.repeats, args.budget_s)), flush=True)
        if args.profile:
            profile(raw)
        if args.served:
            from bench import served

            print(json.dumps(served.measure(name, raw, args.repeats, args.budget_s, machine())), flush=True)


if __name__ == "__main__":
    main()
