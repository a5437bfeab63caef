"""engine.lazy under threads: a module named lazily is loaded once, by its first reader, and no other thread sees it
half-run (importlib's LazyLoader before Python 3.12.3 let a second reader see "module 'numpy' has no attribute
'argmin'" while the first was still loading it: a 500 from the LR range read in CI). In a fresh interpreter, on a
module written for the test whose code takes 0.3 s, reads itself while it runs, and fails the first time."""

from __future__ import annotations

from tests.conftest import fresh_session

SLOW = """
import pathlib, time
runs = pathlib.Path(__file__).with_suffix(".runs")
runs.write_text(runs.read_text() + "x" if runs.exists() else "x")
early = 1
import slow_module as me  # the loading thread reads its own half-run module: this must not wait for itself
assert me.early == 1
time.sleep(0.3)
if len(runs.read_text()) == 1 and pathlib.Path(__file__).with_suffix(".fail").exists():
    raise RuntimeError("the first load fails")
value = 42
"""

READERS = """
import json, pathlib, sys, threading, time, types
folder = pathlib.Path(sys.argv[1])
sys.path[:0] = [folder.as_posix(), "."]
(folder / "slow_module.py").write_text(sys.argv[2])
if sys.argv[3] == "fail":
    (folder / "slow_module.fail").touch()
from engine.lazy import lazy
module = lazy("slow_module")
seen = []

def read():
    try:
        seen.append(module.value)
    except Exception as exc:
        seen.append(f"{type(exc).__name__}: {exc}")

threads = [threading.Thread(target=read) for _ in range(4)]
for thread in threads:
    thread.start()
    time.sleep(0.02)  # all four read while the first is still running the module's 0.3 s
for thread in threads:
    thread.join()
print(json.dumps({"seen": seen, "runs": len((folder / "slow_module.runs").read_text()),
                  "plain": type(module) is types.ModuleType, "value": module.value}))
"""


def test_threads_reading_a_lazy_module_at_once_all_see_it_whole_and_it_runs_once(tmp_path):
    result = fresh_session(READERS, str(tmp_path), SLOW, "ok")
    assert result == {"seen": [42, 42, 42, 42], "runs": 1, "plain": True, "value": 42}


def test_a_lazy_module_whose_load_failed_is_loaded_again_by_the_next_reader(tmp_path):
    result = fresh_session(READERS, str(tmp_path), SLOW, "fail")
    # the first reader gets the module's error; the others, which waited for it, load it again: once more in all
    assert result["seen"][0] == "RuntimeError: the first load fails"
    assert result["seen"][1:] == [42, 42, 42]
    assert (result["runs"], result["plain"], result["value"]) == (2, True, 42)
