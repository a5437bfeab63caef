"""ResNet, scaled down: a stem, stages of basic residual blocks, global average pooling.

Switching `skip_connections` off leaves the same plain stack, which shows the degradation problem when deep.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.networks import networks
from engine.networks.conv import conv_unit
from engine.registry import Params


class ResNetParams(Params):
    width: int = Field(16, ge=4, le=128, description="channels of the first stage; each later stage doubles it")
    blocks_per_stage: list[Annotated[int, Field(ge=1, le=8)]] = Field(
        [1, 1, 1], min_length=1, max_length=4,
        description="residual blocks per stage; each stage after the first halves the map",
    )
    skip_connections: bool = Field(True, description="add each block's input to its output (off = a plain deep net)")


def _block_inputs(model: torch.nn.Module) -> list[torch.nn.Module]:
    """Each residual block and the head: what they read are the stem's and the blocks' outputs."""
    from engine.networks._resnet import BasicBlock

    return [m for m in model if isinstance(m, BasicBlock)] + [model[-1]]


@networks.add(
    "resnet", ResNetParams, "ResNet, scaled down: residual blocks that learn F(x) and add x back",
    accepts=["image"], batchable=True, formula=r"y = \mathrm{ReLU}(F(x) + x)", mixup_points=_block_inputs,
)
def resnet(params: ResNetParams, info: DataInfo, out_features: int) -> torch.nn.Module:
    from engine.networks._conv import GlobalAvgPool
    from engine.networks._resnet import BasicBlock

    nn = torch.nn
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
