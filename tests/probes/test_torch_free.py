"""The web process imports the probes (their settings models, catalog entries and `applies` rules) without loading
torch. Run in a fresh process with the packages the probes take names from (losses, datasets, networks, config)
stood in for, so the check covers the probes' own files (and the engine modules around them) whatever those do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys, types
sys.path.insert(0, sys.argv[1])
import engine.lazy as lazy
from engine.registry import Registry

def stand_in(name, **names):
    module = types.ModuleType(name)
    module.__dict__.update(names)
    sys.modules[name] = module

stand_in("engine.losses", Objective=object)
stand_in("engine.datasets", DataBundle=object)
stand_in("engine.networks", networks=Registry("network"), __path__=[])
stand_in("engine.networks.activations", CURVE_RANGE=(-6.0, 6.0), activations=Registry("activation"))
stand_in("engine.config", Plan=object)

import engine.probes, engine.probes.watch, engine.diagram, engine.events, engine.control, engine.status
import engine.cadence, engine.devices, engine.checkpoint
info = types.SimpleNamespace(kind="image", task="classification")
for entry in engine.probes.probes:
    entry.describe()
    entry.meta["applies"](info)
print(len(engine.probes.probes.names()), lazy.loaded())
"""


def test_the_probes_import_and_describe_themselves_without_torch():
    result = subprocess.run([sys.executable, "-c", CHECK, str(ROOT)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    count, loaded = result.stdout.split()
    assert int(count) >= 10  # every probe file was imported
    assert loaded == "False"
