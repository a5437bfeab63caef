"""The web process imports every component package (datasets, networks and their activations, inits, losses,
optimizers, regularizers, schedules, probes), the config, tricks, steering and the diagram for their settings
models and catalog entries, without loading torch (#20 item 4). Checked in a fresh interpreter: this one has torch
loaded already. tests/app/test_torch_free.py checks the whole web process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])
import engine.lazy as lazy
from engine.datasets import datasets
from engine.inits import initializers
from engine.losses import losses
from engine.networks import networks
from engine.networks.activations import activations
from engine.optimizers import optimizers
from engine.probes import probes
from engine.regularizers import regularizers
from engine.schedules import schedules
import engine.config, engine.diagram, engine.manifold_mixup, engine.steering, engine.tricks

registries = (datasets, networks, activations, initializers, losses, optimizers, regularizers, schedules, probes)
described = {r.kind: len(r.catalog()) for r in registries}
engine.tricks.Augmentation(flip=True, shift=2)
print(json.dumps({"described": described, "loaded": lazy.loaded()}))
"""


def test_the_component_packages_import_and_describe_themselves_without_torch():
    result = subprocess.run([sys.executable, "-c", CHECK, str(ROOT)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert min(seen["described"].values()) >= 2, seen  # every package registered its entries
    assert seen["described"]["optimizer"] >= 12  # sgd.py, adaptive.py and lbfgs.py alike
    assert seen["described"]["network"] >= 10 and seen["described"]["probe"] >= 8
    assert seen["loaded"] is False
