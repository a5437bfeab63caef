"""Fully connected networks: the perceptron (no hidden layer) and the MLP; `fc_layers` also serves as CNN heads."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.manifold_mixup import inputs_of_later_layers
from engine.networks import networks
from engine.networks.activations import ActivationName, activations
from engine.networks.norms import NORM_HELP, NormName, ReadsOldBatchNorm
from engine.networks.sizing import hidden_width
from engine.registry import Params

FLAT_INPUTS = ["points", "vector", "image", "signal", "volume"]
Width = Annotated[int, Field(ge=1, le=4096)]


class PerceptronParams(Params):
    pass


class MLPParams(ReadsOldBatchNorm):
    hidden_layers: list[Width] = Field(
        [16, 16], min_length=1, max_length=16, description="width of each hidden layer"
    )
    activation: ActivationName = Field("relu", description="non-linearity after each hidden layer")
    norm: NormName = Field("none", description=NORM_HELP + " before each activation")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="drop probability p after each activation "
                           "(the notes' keep_prob is 1 − p)")


def fc_layers(width_in: int, hidden_layers: list[int], out_features: int, activation: str = "relu",
              norm: NormName = "none", dropout: float = 0.0) -> list[torch.nn.Module]:
    """Linear → (norm) → activation → (dropout) per hidden width, then the output Linear (no activation)."""
    layers: list[torch.nn.Module] = []
    for width in hidden_layers:
        layers.append(torch.nn.Linear(width_in, width))
        if norm != "none":
            layers.append(torch.nn.BatchNorm1d(width) if norm == "batch" else torch.nn.LayerNorm(width))
        layers.append(activations[activation].build())
        if dropout > 0:
            layers.append(torch.nn.Dropout(dropout))
        width_in = width
    layers.append(torch.nn.Linear(width_in, out_features))
    return layers


def _in_features(info: DataInfo) -> int:
    return math.prod(info.input_shape)


@networks.add(
    "perceptron", PerceptronParams, "a single linear layer: no hidden units, so it cannot solve XOR",
    accepts=FLAT_INPUTS, batchable=True, formula=r"\hat y = W x + b",
)
def perceptron(params: PerceptronParams, info: DataInfo, out_features: int) -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(_in_features(info), out_features))


@networks.add(
    "mlp", MLPParams, "multi-layer perceptron: hidden layers with activation, batch or layer norm, dropout "
    "(dropout p is the drop probability: the notes' keep_prob = 1 − p)",
    accepts=FLAT_INPUTS, batchable=True, mixup_points=inputs_of_later_layers,
    formula=r"h_l = \sigma(W_l h_{l-1} + b_l),\ \hat y = W_L h_{L-1} + b_L",
    sized=lambda info: {"hidden_layers": [hidden_width(info)] * 2},
)
def mlp(params: MLPParams, info: DataInfo, out_features: int) -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Flatten(), *fc_layers(
        _in_features(info), params.hidden_layers, out_features, params.activation, params.norm, params.dropout
    ))
