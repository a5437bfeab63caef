"""A landscape evaluated many grid points per forward (engine/lab/points.py) equals the one-at-a-time way."""

from __future__ import annotations

import pytest
import torch

from engine.config import RunConfig
from engine.lab import landscape
from engine.lab.points import PointBatch
from engine.trainer import train
from tests.conftest import run_config

CASES = {
    "mlp": run_config(train={"steps": 30, "batch_size": 32}),
    # batch norm: its running statistics are buffers, the same at every point; 13 points do not fill whole chunks
    "cnn_bn": {"dataset": {"name": "shapes", "params": {"n_samples": 200, "image_size": 12}},
               "model": {"name": "cnn", "params": {"norm": "batch", "hidden_layers": [16],
                                                   "conv_layers": [{"channels": 4}, {"channels": 8}]}},
               "loss": {"name": "cross_entropy"}, "optimizer": {"name": "adam", "params": {"lr": 0.01}},
               "train": {"steps": 20, "batch_size": 32, "seed": 0, "device": "cpu"}},
}


def final_weights(data: dict) -> tuple[RunConfig, dict]:
    config = RunConfig.model_validate(data)
    saved: dict[int, dict] = {}
    train(config, lambda event: None, save=lambda step, state: saved.__setitem__(step, state))
    return config, saved[max(saved)]["model"]


@pytest.mark.parametrize("case", list(CASES))
def test_batched_grid_equals_one_point_at_a_time(case, monkeypatch):
    config, final = final_weights(CASES[case])
    monkeypatch.setitem(landscape.PointBatch.__init__.__globals__["ROWS_PER_FORWARD"], "cpu", 5 * 40)
    one = landscape.landscape(config, final, 0, "random", n=13, span=1.0, samples=40, batched=False)
    many = landscape.landscape(config, final, 0, "random", n=13, span=1.0, samples=40, batched=True)
    a, b = torch.tensor(one["loss"]), torch.tensor(many["loss"])
    assert a.shape == (13, 13) and a.std() > 0.01  # a real surface, not a constant
    torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6)


def test_the_batch_runs_several_points_per_forward():
    config, final = final_weights(CASES["mlp"])
    s = landscape.setting(config, 64)
    final = {k: v.to(s.x.device) for k, v in final.items()}
    names = [k for k, _ in s.model.named_parameters()]
    generator = torch.Generator().manual_seed(0)
    d1, d2 = landscape.filter_normalized(final, names, generator), landscape.filter_normalized(final, names, generator)
    batch = PointBatch(s.model, final, d1, d2, len(s.x))
    forwards = []
    batch.net.register_forward_hook(lambda module, args, out: forwards.append(len(args[0])))
    coords = [(0.1 * i, -0.2) for i in range(batch.size)]
    losses = batch.losses(coords, s.x, s.objective.prepare(s.y), s.objective.fn)
    assert batch.size > 1 and forwards == [batch.size * len(s.x)] and len(losses) == batch.size
    for (a, b), loss in zip(coords[:3], losses, strict=False):
        state = {k: v + a * d1[k] + b * d2[k] if k in d1 else v for k, v in final.items()}
        assert loss == pytest.approx(s.loss(state), rel=1e-5)
