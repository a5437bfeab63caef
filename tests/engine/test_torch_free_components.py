"""The web process imports the optimizers, inits, losses, regularizers, schedules, datasets, tricks and steering for
their settings models and catalog entries, without loading torch (#20 item 4). Checked in a fresh interpreter (this
one has torch loaded already); none of these files imports the networks, so nothing is stood in for."""

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
from engine.optimizers import optimizers
from engine.regularizers import regularizers
from engine.schedules import schedules
import engine.steering, engine.tricks

described = {r.kind: len(r.catalog()) for r in (datasets, initializers, losses, optimizers, regularizers, schedules)}
engine.tricks.Augmentation(flip=True, shift=2)
print(json.dumps({"described": described, "loaded": lazy.loaded()}))
"""


def test_the_component_packages_import_and_describe_themselves_without_torch():
    result = subprocess.run([sys.executable, "-c", CHECK, str(ROOT)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert min(seen["described"].values()) >= 2, seen  # every package registered its entries
    assert seen["described"]["optimizer"] >= 12  # sgd.py, adaptive.py and lbfgs.py alike
    assert seen["loaded"] is False
