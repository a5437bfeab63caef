"""The Siamese embedding net: one network maps anchor, positive and negative alike (weights shared by design).

Trained with the triplet loss its outputs are embeddings; with cross-entropy it is a plain classifier.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.networks import networks
from engine.networks.activations import ActivationName
from engine.networks.cnn import CNNParams, ConvLayer, cnn
from engine.networks.mlp import MLPParams, Width, mlp
from engine.registry import Params


class SiameseParams(Params):
    conv_channels: list[Annotated[int, Field(ge=1, le=256)]] = Field(
        [16, 32], max_length=6, description="3×3 conv layers (with max pooling) for images and signals"
    )
    hidden_layers: list[Width] = Field([64], min_length=1, max_length=6, description="fully connected widths")
    activation: ActivationName = Field("relu")


@networks.add(
    "siamese", SiameseParams, "Siamese embedding net: the same weights embed every input; pair with triplet loss",
    accepts=["points", "image", "signal"], batchable=True, suggested_loss="triplet", shared_weights=True,
    formula=r"d(a, b) = \|f_\theta(a) - f_\theta(b)\|^2,\ \text{one } \theta \text{ for every input}",
)
def siamese(params: SiameseParams, info: DataInfo, out_features: int) -> torch.nn.Module:
    if info.kind in ("image", "signal") and params.conv_channels:
        layers = [ConvLayer(channels=c) for c in params.conv_channels]
        return cnn(CNNParams(conv_layers=layers, hidden_layers=params.hidden_layers,
                             activation=params.activation), info, out_features)
    return mlp(MLPParams(hidden_layers=params.hidden_layers, activation=params.activation), info, out_features)
