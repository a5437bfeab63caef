"""ResNet, scaled down: a stem, stages of basic residual blocks, global average pooling.

Switching `skip_connections` off leaves the same plain stack, which shows the degradation problem when deep.
"""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field
from torch import nn

from engine.datasets import DataInfo
from engine.networks import networks
from engine.networks.conv import GlobalAvgPool, conv_cls, conv_unit, norm_cls
from engine.registry import Params


class ResNetParams(Params):
    width: int = Field(16, ge=4, le=128, description="channels of the first stage; each later stage doubles it")
    blocks_per_stage: list[Annotated[int, Field(ge=1, le=8)]] = Field(
        [1, 1, 1], min_length=1, max_length=4,
        description="residual blocks per stage; each stage after the first halves the map",
    )
    skip_connections: bool = Field(True, description="add each block's input to its output (off = a plain deep net)")


class BasicBlock(nn.Module):
    """conv 3×3 → BN → ReLU → conv 3×3 → BN, plus the shortcut, then ReLU (He et al. 2015)."""

    def __init__(self, rank: int, c_in: int, c_out: int, stride: int, skip: bool):
        super().__init__()
        self.body = nn.Sequential(
            conv_unit(rank, c_in, c_out, 3, stride),
            conv_cls(rank)(c_out, c_out, 3, padding=1, bias=False),
            norm_cls(rank)(c_out),
        )
        self.shortcut: nn.Module | None = None
        if skip:
            # a 1×1 projection where the shape changes, the identity elsewhere
            changes = stride != 1 or c_in != c_out
            self.shortcut = nn.Sequential(
                conv_cls(rank)(c_in, c_out, 1, stride, bias=False), norm_cls(rank)(c_out)
            ) if changes else nn.Identity()

    def diagram_parts(self) -> list[dict]:
        """For the drawing (engine/diagram.py): the body with its shortcut beside it; none with skips off."""
        return [{"kind": "residual", "body": ["body"], "shortcut": ["shortcut"]}] if self.shortcut is not None else []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return torch.relu(out)


def _block_inputs(model: nn.Module) -> list[nn.Module]:
    """Each residual block and the head: what they read are the stem's and the blocks' outputs."""
    return [m for m in model if isinstance(m, BasicBlock)] + [model[-1]]


@networks.add(
    "resnet", ResNetParams, "ResNet, scaled down: residual blocks that learn F(x) and add x back",
    accepts=["image"], batchable=True, formula=r"y = \mathrm{ReLU}(F(x) + x)", mixup_points=_block_inputs,
)
def resnet(params: ResNetParams, info: DataInfo, out_features: int) -> nn.Module:
    channels, *size = info.input_shape
    rank = len(size)
    layers: list[nn.Module] = [conv_unit(rank, channels, params.width, 3)]
    c_in, smallest = params.width, min(size)
    for stage, n_blocks in enumerate(params.blocks_per_stage):
        c_out = params.width * 2**stage
        for block in range(n_blocks):
            # downsample at the start of every stage but the first, while the map is still bigger than 1
            stride = 2 if stage > 0 and block == 0 and smallest > 1 else 1
            smallest = -(-smallest // stride)
            layers.append(BasicBlock(rank, c_in, c_out, stride, params.skip_connections))
            c_in = c_out
    return nn.Sequential(*layers, GlobalAvgPool(), nn.Linear(c_in, out_features))
