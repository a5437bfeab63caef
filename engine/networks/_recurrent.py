"""torch side of engine/networks/recurrent.py: a recurrent core with its linear head."""

from __future__ import annotations

import torch
from torch import nn


class Recurrent(nn.Module):
    def __init__(self, core: nn.RNNBase, transpose: bool, output: str, out_features: int):
        super().__init__()
        self.core, self.transpose, self.output = core, transpose, output
        directions = 2 if core.bidirectional else 1
        self.head = nn.Linear(core.hidden_size * directions, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.transpose:
            x = x.transpose(1, 2)
        outputs, hidden = self.core(x)
        if self.output == "sequence":
            return self.head(outputs)  # (batch, steps, out): the loss then has one term per step
        if self.output == "mean":
            return self.head(outputs.mean(1))
        if isinstance(hidden, tuple):  # an LSTM's (h, c)
            hidden = hidden[0]
        # the last layer's final state, both directions: the backward one has read the whole sequence too
        directions = 2 if self.core.bidirectional else 1
        return self.head(hidden[-directions:].transpose(0, 1).reshape(len(x), -1))
