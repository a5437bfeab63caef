"""torch side of engine/networks/conv.py: the layers the ResNet and Inception builders share."""

from __future__ import annotations

import torch
from torch import nn


class GlobalAvgPool(nn.Module):
    """The mean of each channel over every position: (N, C, ...) → (N, C). A plain mean, not AdaptiveAvgPool, whose
    backward on CUDA has no deterministic kernel (train.deterministic could not hold for ResNet and Inception)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).mean(2)
