"""Where torch.compile pays for itself: the bare loop of overhead.py's cases, eager against compiled, on a GPU.

Usage: python bench/compile.py [--device cuda] [--case NAME ...] [--steps N] [--mode default --mode reduce-overhead]
For each mode: the seconds of the first `--first` steps (compilation and, for reduce-overhead, CUDA-graph capture
happen there), the steady steps/s after them, and the break-even: the run length from which the compiled loop ends
sooner than the eager one. Without CUDA it prints a "skipped" line, unless --backend eager asks for dynamo's tracing
alone (what the tests run: the same code path with no kernel compiler).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.machine import describe, missing_package  # noqa: E402
from bench.overhead import CASES, DEFAULT_CASES, Bare, configured  # noqa: E402
from engine import devices  # noqa: E402


def timed_steps(bare: Bare, model, steps: int) -> float:
    began = time.perf_counter()
    for _ in range(steps):
        bare.step(model)
    devices.synchronize(bare.device)
    return time.perf_counter() - began


def loop(config, mode: str | None, backend: str, first: int, steady: int) -> tuple[float, float]:
    """(seconds of the first steps, seconds per step after them) of a fresh bare loop, compiled unless mode is None."""
    torch._dynamo.reset()  # no compiled code carried over from the last mode
    bare = Bare.build(config)
    model = bare.model if mode is None else torch.compile(bare.model, mode=mode, backend=backend)
    return timed_steps(bare, model, first), timed_steps(bare, model, steady) / steady


def break_even(eager: tuple[float, float], compiled: tuple[float, float], first: int) -> int | None:
    """Steps n from which first_c + (n − first)·step_c ≤ first_e + (n − first)·step_e; None when never."""
    saved = eager[1] - compiled[1]
    if saved <= 0:
        return None
    return first + max(0, round((compiled[0] - eager[0]) / saved))


def measure(name: str, device: str, modes: list[str], backend: str, first: int, steady: int) -> dict:
    config = configured(CASES[name], device, None)
    loop(config, None, backend, first, steady)  # warm-up: data caches, first allocations
    eager = loop(config, None, backend, first, steady)
    line = {"bench": "compile", "case": name, **describe(device), "backend": backend, "first_steps": first,
            "steady_steps": steady, "eager_first_s": round(eager[0], 3),
            "eager_steps_per_s": round(1 / eager[1], 1)}
    for mode in modes:
        compiled = loop(config, mode, backend, first, steady)
        line[mode] = {"first_s": round(compiled[0], 3), "steps_per_s": round(1 / compiled[1], 1),
                      "speedup": round(eager[1] / compiled[1], 3),
                      # the first metrics point waits this long more if the step is compiled before it
                      "first_point_delay_s": round(compiled[0] - eager[0], 3),
                      "break_even_steps": break_even(eager, compiled, first)}
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda", choices=["cpu", "cuda"])
    parser.add_argument("--case", action="append", choices=list(CASES), help="repeatable; default: mlp and cnn")
    parser.add_argument("--mode", action="append", help="torch.compile modes; default: default, reduce-overhead")
    parser.add_argument("--backend", default="inductor", help="'eager' traces without compiling kernels")
    parser.add_argument("--first", type=int, default=20, help="steps that include compiling")
    parser.add_argument("--steady", type=int, default=1000, help="steps timed after them")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name in args.case or DEFAULT_CASES:
        if args.device == "cuda" and not torch.cuda.is_available():
            print(json.dumps({"bench": "compile", "case": name, **describe("cpu"),
                              "skipped": "no CUDA device: the break-even is a GPU question"}))
            continue
        package = missing_package(CASES[name]["dataset"]["name"])
        if package:
            print(json.dumps({"bench": "compile", "case": name, "skipped": f"the package {package} is missing"}))
            continue
        modes = args.mode or ["default", "reduce-overhead"]
        print(json.dumps(measure(name, args.device, modes, args.backend, args.first, args.steady)), flush=True)


if __name__ == "__main__":
    main()
