"""A Transformer encoder for sequences: multi-head self-attention blocks.

`model.attention_maps(x)` gives the last layer's weights, (batch, heads, T, T), rows summing to 1. A training
forward never asks for them: that would rule out the fused attention kernels and keep a (batch, heads, T, T)
tensor per layer.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.networks import networks
from engine.networks.recurrent import SEQUENCE_INPUTS, steps_and_features
from engine.networks.sizing import outputs, power_of_two
from engine.registry import Params


class TransformerParams(Params):
    num_layers: int = Field(2, ge=1, le=8, description="encoder layers")
    d_model: int = Field(32, ge=4, le=512, description="width of every token's vector")
    nhead: int = Field(4, ge=1, le=16, description="attention heads (must divide d_model)")
    dim_feedforward: int = Field(64, ge=4, le=2048, description="hidden width of each layer's feed-forward part")
    dropout: float = Field(0.0, ge=0.0, lt=1.0)

    @model_validator(mode="after")
    def _heads_divide(self) -> TransformerParams:
        if self.d_model % self.nhead:
            raise ValueError(f"nhead ({self.nhead}) must divide d_model ({self.d_model})")
        return self


def _sized(info: DataInfo) -> dict[str, int]:
    """d_model 32 for a few features and outputs, 64 for MNIST-1D's 10 classes; the feed-forward twice that."""
    width = power_of_two(4 * (steps_and_features(info)[1] + outputs(info)), 32, 64)
    return {"d_model": width, "dim_feedforward": 2 * width}


@networks.add(
    "transformer", TransformerParams, "Transformer encoder: multi-head self-attention over the time steps",
    accepts=SEQUENCE_INPUTS, formula=r"\mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V",
    suggested_lr=1e-3,  # measured: Adam at 1e-2 leaves parity at chance; 1e-3 solves it
    sized=_sized,
)
def transformer(params: TransformerParams, info: DataInfo, out_features: int) -> torch.nn.Module:
    from engine.networks._transformer import Transformer

    return Transformer(params, info, out_features)
