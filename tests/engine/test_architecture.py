"""The architecture table adds up: for every network on its default data set, the rows sum to the totals, and the
multiply-adds agree with the notes' formulas counted layer by layer (attention and recurrent layers included)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from engine.architecture import _model, layer_table
from engine.config import RunConfig, resolve
from engine.datasets import datasets
from engine.networks import networks


def default_plan(network: str, dataset: str | None = None):
    """The network on the first built-in data set it accepts (or `dataset`), with the loss that fits."""
    entry = networks[network]
    dataset = dataset or next(
        d.name for d in datasets if not d.meta.get("user_data") and d.meta["kind"] in entry.meta["accepts"])
    loss = entry.meta.get("suggested_loss", "cross_entropy")
    return resolve(RunConfig.model_validate({"dataset": {"name": dataset}, "model": {"name": network},
                                             "loss": {"name": loss}, "optimizer": {"name": "adam"}}))


def formula_macs(plan) -> int:
    """The notes' count, from hooks on the layers that multiply: FC n_in·n_out per output position, conv
    k·k·C_in per output value, recurrent gates·(n_in + h)·h per step, attention 4·T·d² + 2·T²·d."""
    model = _model(plan).eval()
    total = 0

    def hook(module, args, output):
        nonlocal total
        out = output[0] if isinstance(output, tuple) else output
        if isinstance(module, nn.Linear):
            total += out.numel() * module.in_features
        elif isinstance(module, nn.modules.conv._ConvNd):
            total += out.numel() * module.in_channels // module.groups * math.prod(module.kernel_size)
        elif isinstance(module, nn.MultiheadAttention):
            tokens, d = out.shape[1], module.embed_dim
            total += 4 * tokens * d * d + 2 * tokens * tokens * d
        elif isinstance(module, nn.RNNBase):
            gates = {"LSTM": 4, "GRU": 3}.get(type(module).__name__, 1)
            dirs, width = 2 if module.bidirectional else 1, module.input_size
            for _ in range(module.num_layers):
                total += out.shape[1] * dirs * gates * (width + module.hidden_size) * module.hidden_size
                width = module.hidden_size * dirs

    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.modules.conv._ConvNd, nn.MultiheadAttention, nn.RNNBase)):
            module.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.zeros(1, *plan.info.input_shape))
    return total


@pytest.mark.parametrize("network", networks.names())
def test_rows_add_up_to_the_totals(network):
    plan = default_plan(network)
    table = layer_table(plan)
    model = _model(plan)
    assert sum(row["parameters"] for row in table["layers"]) == table["parameters"] == sum(
        p.numel() for p in model.parameters())
    assert sum(row["macs"] for row in table["layers"]) == table["macs"] == formula_macs(plan)


def test_attention_has_its_rows_and_the_position_table_its_own():
    table = layer_table(default_plan("transformer", "parity"))
    rows = {row["name"]: row for row in table["layers"]}
    d, tokens = 32, 8  # d_model and parity's sequence length
    assert rows["layers.0.attn"]["parameters"] == 4 * d * d + 4 * d  # in_proj (3d×d + 3d) and out_proj (d×d + d)
    assert rows["layers.0.attn"]["macs"] == 4 * tokens * d * d + 2 * tokens * tokens * d
    assert rows["position"]["parameters"] == tokens * d


def test_an_lstm_counts_its_four_gates():
    table = layer_table(default_plan("lstm", "parity"))
    core = next(row for row in table["layers"] if row["type"] == "LSTM")
    assert core["macs"] == 8 * 4 * (1 + 64) * 64  # parity: 8 steps of 1 bit, hidden 64
