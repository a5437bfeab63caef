"""Inception (GoogLeNet), scaled down: parallel 1×1, 3×3, 5×5 and pool branches, with 1×1 bottlenecks."""

from __future__ import annotations

from pydantic import Field

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.networks import networks
from engine.networks.conv import conv_unit, pool_cls
from engine.registry import Params


class InceptionParams(Params):
    width: int = Field(16, ge=4, le=128, description="output channels of each of the four branches")
    blocks: int = Field(2, ge=1, le=6, description="inception blocks (a max pool between them)")
    bottleneck: bool = Field(True, description="1×1 convolutions shrink the channels before 3×3 and 5×5")
    batch_norm: bool = Field(True, description="batch norm after each convolution")


@networks.add(
    "inception", InceptionParams, "Inception blocks: 1×1, 3×3, 5×5 and pooling side by side, 1×1 bottlenecks",
    accepts=["image"], batchable=True, formula=r"y = [\,c_{1\times1}(x),\ c_{3\times3}(c_{1\times1}(x)),\ "
    r"c_{5\times5}(c_{1\times1}(x)),\ c_{1\times1}(\mathrm{pool}(x))\,]",
)
def inception(params: InceptionParams, info: DataInfo, out_features: int) -> torch.nn.Module:
    from engine.networks._conv import GlobalAvgPool
    from engine.networks._inception import InceptionBlock

    nn = torch.nn
    channels, *size = info.input_shape
    rank, smallest = len(size), min(size)
    layers: list[nn.Module] = [conv_unit(rank, channels, params.width, 3, batch_norm=params.batch_norm)]
    c_in = params.width
    for block in range(params.blocks):
        if block > 0 and smallest >= 2:
            layers.append(pool_cls("max", rank)(2))
            smallest //= 2
        layers.append(InceptionBlock(rank, c_in, params.width, params.bottleneck, params.batch_norm))
        c_in = 4 * params.width
    return nn.Sequential(*layers, GlobalAvgPool(), nn.Linear(c_in, out_features))
