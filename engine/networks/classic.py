"""The classic image CNNs, scaled down to 8×8 and 16×16 inputs: LeNet-5, AlexNet and VGG.

Layer order and ideas follow the papers; widths are divided so each trains in seconds on a CPU.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.networks import networks
from engine.networks.activations import ActivationName
from engine.networks.conv import Stack
from engine.networks.mlp import fc_layers
from engine.registry import Params

IMAGES = ["image"]


class LeNetParams(Params):
    activation: ActivationName = Field("tanh", description="the 1998 original used tanh-like squashing")
    pool: Literal["avg", "max"] = Field("avg", description="subsampling: average (original) or max")


class AlexNetParams(Params):
    width: int = Field(16, ge=4, le=128, description="channels of the first conv (the original's 96, scaled)")
    dropout: float = Field(0.5, ge=0.0, lt=1.0, description="drop probability p in the fully connected head, as in "
                           "the paper (keep_prob = 1 − p)")


class VGGParams(Params):
    width: int = Field(16, ge=4, le=128, description="channels of the first block; each later block doubles it")
    convs_per_block: list[Annotated[int, Field(ge=1, le=4)]] = Field(
        [2, 2, 2], min_length=1, max_length=5, description="3×3 convolutions in each block (a pool ends each)"
    )
    batch_norm: bool = Field(True, description="batch norm after each convolution (VGG-BN)")
    dropout: float = Field(0.5, ge=0.0, lt=1.0, description="dropout in the fully connected head")


def _classifier(stack: Stack, hidden: list[int], out_features: int, activation: str, dropout: float = 0.0):
    return torch.nn.Sequential(*stack.layers, torch.nn.Flatten(),
                         *fc_layers(stack.features, hidden, out_features, activation, dropout=dropout))


@networks.add(
    "lenet5", LeNetParams, "LeNet-5: conv 5×5 (6) → pool → conv 5×5 (16) → pool → FC 120 → FC 84",
    accepts=IMAGES, batchable=True,
    formula=r"\mathrm{FC}_{84}\circ\mathrm{FC}_{120}\circ(\mathrm{pool}\circ\mathrm{conv}^{16}_{5\times5})"
    r"\circ(\mathrm{pool}\circ\mathrm{conv}^{6}_{5\times5})",
)
def lenet5(params: LeNetParams, info: DataInfo, out_features: int) -> torch.nn.Module:
    # 'same' padding where the original used 'valid' on 32×32: an 8×8 digit would vanish otherwise
    stack = Stack(info.input_shape)
    stack.conv(6, 5).act(params.activation).pool(params.pool)
    stack.conv(16, 5).act(params.activation).pool(params.pool)
    return _classifier(stack, [120, 84], out_features, params.activation)


@networks.add(
    "alexnet", AlexNetParams, "AlexNet, scaled down: 5 conv layers with ReLU, 3 max pools, dropout in the FC head",
    # no normalization layers: Adam at 1e-2 kills its ReLUs on shapes
    accepts=IMAGES, batchable=True, suggested_lr=1e-3,
    formula=r"\mathrm{FC}_{8w}\circ\mathrm{FC}_{8w}\circ \mathrm{pool}\circ\mathrm{conv}^{8w/3}\circ"
    r"\mathrm{conv}^{4w}\circ\mathrm{conv}^{4w}\circ\mathrm{pool}\circ\mathrm{conv}^{8w/3}\circ\mathrm{pool}"
    r"\circ\mathrm{conv}^{w},\ \text{ReLU after each}",
)
def alexnet(params: AlexNetParams, info: DataInfo, out_features: int) -> torch.nn.Module:
    w = params.width
    # the original's channel ratios 96:256:384:384:256, with 3×3 kernels in place of 11×11 and 5×5
    stack = Stack(info.input_shape)
    stack.conv(w).act("relu").pool("max")
    stack.conv(w * 8 // 3).act("relu").pool("max")
    stack.conv(w * 4).act("relu").conv(w * 4).act("relu").conv(w * 8 // 3).act("relu").pool("max")
    return _classifier(stack, [w * 8, w * 8], out_features, "relu", params.dropout)


@networks.add(
    "vgg", VGGParams, "VGG, scaled down: blocks of 3×3 convolutions then a pool; the width doubles each block",
    accepts=IMAGES, batchable=True,
    formula=r"\text{block}_k = \mathrm{pool}\circ(\mathrm{ReLU}\circ\mathrm{conv}^{C_k}_{3\times3})^{n_k},"
    r"\ C_k = 2^k w",
)
def vgg(params: VGGParams, info: DataInfo, out_features: int) -> torch.nn.Module:
    stack = Stack(info.input_shape)
    for block, n_convs in enumerate(params.convs_per_block):
        for _ in range(n_convs):
            stack.conv(params.width * 2**block, bias=not params.batch_norm)
            if params.batch_norm:
                stack.norm()
            stack.act("relu")
        stack.pool("max")
    return _classifier(stack, [params.width * 8], out_features, "relu", params.dropout)
