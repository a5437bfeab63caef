"""bench/gpu.sh on this CPU, in its quick mode: every bench gives its JSON lines, the CUDA-only ones a note, and
nothing it runs imports the web app's packages (the lead's GPU machine has torch, not the project's venv)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# what a bare GPU machine lacks: importing any of these there would end the bench
BLOCKED = ("app", "fastapi", "starlette", "sqlalchemy", "uvicorn", "optuna", "sklearn", "plotly", "jinja2")
# torch looks some of them up (find_spec) without importing them: only an import fails
BLOCKER = f'''
import importlib.abc, importlib.util, sys

class Block(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name.split(".")[0] in {BLOCKED!r} else None

    def create_module(self, spec):
        raise ImportError(f"gpu.sh must not import {{spec.name}}")

sys.meta_path.insert(0, Block())
'''


def test_gpu_script_runs_on_cpu_with_a_line_per_measurement(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHON": sys.executable, "DESCENT_BENCH_QUICK": "1", "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(["bash", "bench/gpu.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=540)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert not [line for line in lines if "error" in line], result.stderr[-3000:]
    measured = {(line["bench"], line.get("case")) for line in lines if "skipped" not in line}
    assert measured == {("overhead", "mlp_moons"), ("overhead", "cnn_mnist1d"), ("race", "mlp_moons"),
                        ("race", "cnn_mnist1d"), ("landscape", None)}
    assert {line["bench"] for line in lines if "skipped" in line} == {"resnet", "compile"}
    for line in lines:
        assert line["torch"] and line["device_name"] and isinstance(line["load_avg_1m"], float | list), line
        if "skipped" not in line:
            assert line["device"] == "cpu"
    overhead = [line for line in lines if line["bench"] == "overhead"]
    assert all(line["same_result"] and line["ratio_engine_over_bare"] > 0 for line in overhead)


def test_compile_bench_measures_a_break_even_on_the_cpu_with_dynamo_alone():
    # --backend eager: dynamo traces the model, no kernel compiler runs; the GPU's line comes from the same code
    result = subprocess.run([sys.executable, "bench/compile.py", "--device", "cpu", "--backend", "eager", "--case",
                             "mlp_moons", "--mode", "default", "--first", "3", "--steady", "20"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = [json.loads(text) for text in result.stdout.splitlines()]
    compiled = line["default"]
    assert line["eager_steps_per_s"] > 0 and compiled["steps_per_s"] > 0
    assert compiled["first_point_delay_s"] > 0  # tracing happens within the first steps
    assert compiled["break_even_steps"] is None or compiled["break_even_steps"] >= 3
