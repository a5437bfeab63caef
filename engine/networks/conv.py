"""Shared pieces of the convolutional networks: 1-D/2-D/3-D layer factories, the padding rules and size arithmetic.

The rank comes from the data set's input_shape: (C, L) is a signal, (C, H, W) an image, (C, D, H, W) a volume.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field

from engine.lazy import torch
from engine.networks.activations import activations
from engine.networks.norms import NormName

PoolName = Literal["max", "avg", "none"]
Padding = Literal["same", "valid"] | Annotated[int, Field(ge=0, le=8)]


def conv_out_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """The notes' formula ⌊(W − F + 2P)/S⌋ + 1."""
    return (size - kernel_size + 2 * padding) // stride + 1


def padding_amount(padding: Padding, kernel_size: int, stride: int) -> int | str:
    """'valid' is 0; 'same' keeps ⌈W/S⌉ (PyTorch's own 'same' at stride 1, (k−1)/2 for odd k otherwise)."""
    if padding == "valid":
        return 0
    if padding == "same":
        return "same" if stride == 1 else (kernel_size - 1) // 2
    return padding


def conv_cls(rank: int) -> type[torch.nn.Module]:
    nn = torch.nn
    return (nn.Conv1d, nn.Conv2d, nn.Conv3d)[rank - 1]


def norm_cls(rank: int) -> type[torch.nn.Module]:
    nn = torch.nn
    return (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[rank - 1]


def conv_norm(kind: NormName, rank: int, channels: int) -> torch.nn.Module:
    """BatchNorm per channel, or layer norm over each sample's channels and positions (GroupNorm with one group,
    which keeps one scale and shift per channel and so fits any map size)."""
    return norm_cls(rank)(channels) if kind == "batch" else torch.nn.GroupNorm(1, channels)


def pool_cls(kind: PoolName, rank: int) -> type[torch.nn.Module]:
    nn = torch.nn
    return {"max": (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d),
            "avg": (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)}[kind][rank - 1]


def conv_unit(rank: int, c_in: int, c_out: int, kernel_size: int, stride: int = 1, batch_norm: bool = True,
              activation: str = "relu") -> torch.nn.Sequential:
    """conv → (batch norm) → activation, with 'same'-style padding; the bias is dropped when BN follows."""
    conv = conv_cls(rank)(c_in, c_out, kernel_size, stride, padding=(kernel_size - 1) // 2, bias=not batch_norm)
    layers = [conv, norm_cls(rank)(c_out)] if batch_norm else [conv]
    return torch.nn.Sequential(*layers, activations[activation].build())


class Stack:
    """Builds a conv stack layer by layer, tracking channels and spatial size so that pools and heads fit."""

    def __init__(self, input_shape: tuple[int, ...]):
        self.channels, *spatial = input_shape
        self.size = list(spatial)
        self.rank = len(self.size)
        if self.rank not in (1, 2, 3):
            raise ValueError(f"convolutions need (C, L), (C, H, W) or (C, D, H, W) inputs, not {input_shape}")
        self.layers: list[torch.nn.Module] = []

    def conv(self, channels: int, kernel_size: int = 3, stride: int = 1, padding: Padding = "same",
             bias: bool = True) -> Stack:
        amount = padding_amount(padding, kernel_size, stride)
        pad = (kernel_size - 1) // 2 if amount == "same" else amount
        new_size = [math.ceil(s / stride) if amount == "same" else conv_out_size(s, kernel_size, stride, pad)
                    for s in self.size]
        if min(new_size) < 1:
            raise ValueError(f"a {kernel_size}-wide kernel with padding {padding} does not fit a "
                             f"{'×'.join(map(str, self.size))} input; use padding 'same' or fewer layers")
        self.layers.append(conv_cls(self.rank)(self.channels, channels, kernel_size, stride, amount, bias=bias))
        self.channels, self.size = channels, new_size
        return self

    def norm(self, kind: NormName = "batch") -> Stack:
        if kind != "none":
            self.layers.append(conv_norm(kind, self.rank, self.channels))
        return self

    def act(self, name: str) -> Stack:
        self.layers.append(activations[name].build())
        return self

    def pool(self, kind: PoolName = "max", size: int = 2) -> Stack:
        # a pool that would shrink a map below one cell is skipped: deep stacks still fit tiny images
        if kind != "none" and min(self.size) >= size:
            self.layers.append(pool_cls(kind, self.rank)(size))
            self.size = [s // size for s in self.size]
        return self

    @property
    def features(self) -> int:
        """Inputs to a fully connected head after flattening."""
        return self.channels * math.prod(self.size)
