"""Adding an optimizer, a network or a probe is one new file and no other edit: in a copy of engine/ with three new
modules (and nothing else changed), each shows in /api/catalog, trains, and the new optimizer and network race
batched with the new probe on every member. A separate process, so the new entries never join this one's registries.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

NEW_FILES = {
    "optimizers/halved_sgd.py": '''
        import torch
        from engine.optimizers import LRParams, optimizers

        @optimizers.add("halved_sgd", LRParams, "SGD at half the lr", elementwise=True)
        def halved_sgd(params, parameters):
            return torch.optim.SGD(parameters, lr=params.lr / 2)
    ''',
    "networks/one_layer.py": '''
        from torch import nn
        from engine.networks import networks
        from engine.registry import Params

        @networks.add("one_layer", Params, "one linear layer", accepts=["points"], batchable=True)
        def one_layer(params, info, out_features):
            return nn.Sequential(nn.Flatten(), nn.Linear(info.input_shape[0], out_features))
    ''',
    "probes/weight_sum.py": '''
        from engine.probes import ProbeParams, probes

        @probes.add("weight_sum", ProbeParams, "the sum of every weight", applies=lambda info: True)
        def weight_sum(params, ctx):
            return lambda model, step: {"sum": float(sum(p.sum() for p in model.parameters()))}
    ''',
}

CHECK = '''
import sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]  # the copy of engine/ first, then the repository (app/)
from app.catalog import build_catalog
from engine.batching import batching_obstacle
from engine.config import RunConfig, resolve
from engine.events import Probe
from engine.trainer import Member, train_members

catalog = build_catalog()
for key, name in (("optimizers", "halved_sgd"), ("networks", "one_layer"), ("probes", "weight_sum")):
    assert name in [e["name"] for e in catalog[key]], (key, name)
configs = [RunConfig.model_validate({
    "dataset": {"name": "moons", "params": {"n_samples": 60}}, "model": {"name": "one_layer"},
    "loss": {"name": "cross_entropy"}, "optimizer": {"name": optimizer}, "probes": [{"name": "weight_sum"}],
    "train": {"steps": 10, "batch_size": 16, "eval_every": 5, "eval_share": 1.0}})
    for optimizer in ("halved_sgd", "sgd")]
assert batching_obstacle([resolve(c) for c in configs]) is None
events = [[], []]
done = train_members([Member(c, got.append) for c, got in zip(configs, events)])
assert [d.status for d in done] == ["completed", "completed"], done
for got in events:
    assert got[0].extra["race"] == {"mode": "batched", "members": 2}
    assert [e.step for e in got if isinstance(e, Probe) and e.name == "weight_sum"] == [0, 5, 10]
print("one file each")
'''


def test_a_new_optimizer_network_and_probe_are_one_file_each(tmp_path):
    copy = tmp_path / "engine"
    shutil.copytree(ROOT / "engine", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for path, text in NEW_FILES.items():
        (copy / path).write_text(textwrap.dedent(text))
    result = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path), str(ROOT)], capture_output=True, text=True,
                            timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "one file each" in result.stdout
