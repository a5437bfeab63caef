"""torch side of engine/networks/transformer.py: the encoder and its pre-norm layers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from engine.networks.recurrent import steps_and_features

if TYPE_CHECKING:
    from engine.datasets import DataInfo
    from engine.networks.transformer import TransformerParams


class EncoderLayer(nn.Module):
    """Pre-norm encoder layer (trains without warm-up, unlike post-norm) that keeps its attention weights."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, dropout: float):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.feed_forward = nn.Sequential(
            nn.Linear(d_model, dim_feedforward), nn.GELU(), nn.Dropout(dropout), nn.Linear(dim_feedforward, d_model)
        )
        self.dropout = nn.Dropout(dropout)
        self.keep_attention = False  # on only inside Transformer.attention_maps
        self.attention: torch.Tensor | None = None

    def diagram_parts(self) -> list[dict]:
        """For the drawing (engine/diagram.py): attention and feed-forward, each with its residual path."""
        return [{"kind": "residual", "body": ["norm1", "attn", "dropout"], "label": "attention"},
                {"kind": "residual", "body": ["norm2", "feed_forward"], "label": "feed-forward"}]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        out, weights = self.attn(h, h, h, need_weights=self.keep_attention, average_attn_weights=False)
        if weights is not None:
            self.attention = weights.detach()
        x = x + self.dropout(out)
        return x + self.dropout(self.feed_forward(self.norm2(x)))


class Transformer(nn.Module):
    def __init__(self, params: TransformerParams, info: DataInfo, out_features: int):
        super().__init__()
        steps, features = steps_and_features(info)
        self.transpose = info.kind == "signal"
        self.embed = nn.Linear(features, params.d_model)
        # learned positions: attention alone is blind to order
        self.position = nn.Parameter(0.02 * torch.randn(1, steps, params.d_model))
        self.layers = nn.ModuleList(
            EncoderLayer(params.d_model, params.nhead, params.dim_feedforward, params.dropout)
            for _ in range(params.num_layers)
        )
        self.norm = nn.LayerNorm(params.d_model)
        self.head = nn.Linear(params.d_model, out_features)

    def diagram_parts(self) -> list[dict]:
        """For the drawing (engine/diagram.py): the position table is added to the embedded tokens."""
        return [{"kind": "added", "rows": ["position"], "to": "embed"}]

    @torch.no_grad()
    def attention_maps(self, x: torch.Tensor) -> torch.Tensor:
        """The last layer's attention weights for the batch `x`: (batch, heads, T, T), each row summing to 1."""
        last = self.layers[-1]
        last.keep_attention = True
        try:
            self(x)
        finally:
            last.keep_attention = False
        weights, last.attention = last.attention, None
        return weights

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.transpose:
            x = x.transpose(1, 2)
        h = self.embed(x) + self.position
        for layer in self.layers:
            h = layer(h)
        return self.head(self.norm(h).mean(1))
