#!/usr/bin/env bash
# Descent's GPU figures in one command, from the repository root: bench/gpu.sh
# One JSON line per measurement on stdout, each with torch's version, the device's name and the load average;
# under 8 minutes on one GPU (each bench has its own time limit below). Without CUDA everything runs on the CPU,
# and each CUDA-only measurement prints a line with "skipped" and the reason.
# DESCENT_BENCH_QUICK=1: a few steps per bench (what tests/test_gpu_script.py runs on the CPU).
# Interpreter: ${PYTHON:-.venv/bin/python}; the benches import engine/ only (never app/, fastapi or sqlalchemy).
# Python packages it needs beyond torch and numpy:
#   pydantic (with pydantic-core, annotated-types, typing-extensions, typing-inspection);
#   mnist1d==0.0.2.post1 for the MNIST-1D cases (with matplotlib, scipy, requests and theirs: contourpy, cycler,
#   fonttools, kiwisolver, packaging, pillow, pyparsing, python-dateutil, six, certifi, charset-normalizer, idna,
#   urllib3). Without mnist1d those cases print a "skipped" line and the others still run.
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
quick=${DESCENT_BENCH_QUICK:-0}

note() {  # note BENCH REASON: one JSON line for a measurement that was not taken
    "$PYTHON" bench/machine.py "$1" "$2"
}

run() {  # run BENCH SECONDS SCRIPT ARGS...: a bench's lines, or one line saying why it stopped short
    local bench=$1 limit=$2
    shift 2
    timeout "$limit" "$PYTHON" "$@"
    local rc=$?
    if [ "$rc" -eq 124 ]; then
        printf '{"bench": "%s", "error": "stopped at its limit of %ss"}\n' "$bench" "$limit"
    elif [ "$rc" -ne 0 ]; then
        printf '{"bench": "%s", "error": "exit status %s (its stderr says why)"}\n' "$bench" "$rc"
    fi
}

if "$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    device=cuda
else
    device=cpu
fi

if [ "$quick" = 1 ]; then
    run overhead 120 bench/overhead.py --device "$device" --steps 20 --repeats 1
    run race 120 bench/race.py --device "$device" --mlp-steps 20 --cnn-steps 10 --repeats 1
    run landscape 120 bench/landscape.py --device "$device" --n 3 --depths "" --steps 20
else
    run overhead 130 bench/overhead.py --device "$device" --repeats 3 --budget-s 30
    run race 90 bench/race.py --device "$device" --repeats 3
    run landscape 60 bench/landscape.py --device "$device" --depths ""
fi

if [ "$device" = cuda ]; then
    # a ResNet on 32×32 images: steps/s of the engine and of the bare loop, and the peak GPU memory
    if [ "$quick" = 1 ]; then
        run resnet 60 bench/overhead.py --device cuda --case resnet_shapes --steps 20 --repeats 1
        run compile 120 bench/compile.py --device cuda --first 3 --steady 20
    else
        run resnet 60 bench/overhead.py --device cuda --case resnet_shapes --repeats 3 --budget-s 30
        run compile 120 bench/compile.py --device cuda
    fi
else
    note resnet "no CUDA device: the ResNet on 32x32 images and its GPU memory are CUDA-only (minutes on a CPU)"
    note compile "no CUDA device: the torch.compile break-even is a GPU question"
fi
