"""Inception (GoogLeNet), scaled down: parallel 1×1, 3×3, 5×5 and pool branches, with 1×1 bottlenecks."""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

from engine.datasets import DataInfo
from engine.networks import networks
from engine.networks.conv import GlobalAvgPool, conv_unit, pool_cls
from engine.registry import Params


class InceptionParams(Params):
    width: int = Field(16, ge=4, le=128, description="output channels of each of the four branches")
    blocks: int = Field(2, ge=1, le=6, description="inception blocks (a max pool between them)")
    bottleneck: bool = Field(True, description="1×1 convolutions shrink the channels before 3×3 and 5×5")
    batch_norm: bool = Field(True, description="batch norm after each convolution")


class InceptionBlock(nn.Module):
    """Four branches on the same input, concatenated along channels: 4·width channels out."""

    def __init__(self, rank: int, c_in: int, width: int, bottleneck: bool, batch_norm: bool):
        super().__init__()
        reduced = max(1, width // 2) if bottleneck else c_in

        def unit(c_a: int, c_b: int, k: int) -> nn.Module:
            return conv_unit(rank, c_a, c_b, k, batch_norm=batch_norm)

        def spread(k: int) -> nn.Module:
            # the 1×1 bottleneck: mixes channels and cuts the k×k conv's cost by c_in/reduced
            if not bottleneck:
                return unit(c_in, width, k)
            return nn.Sequential(unit(c_in, reduced, 1), unit(reduced, width, k))

        self.branches = nn.ModuleList([
            unit(c_in, width, 1),
            spread(3),
            spread(5),
            nn.Sequential(pool_cls("max", rank)(3, stride=1, padding=1), unit(c_in, width, 1)),
        ])

    def diagram_parts(self) -> list[dict]:
        """For the drawing (engine/diagram.py): the four branches side by side, joined by concatenation."""
        return [{"kind": "branches", "branches": [f"branches.{i}" for i in range(len(self.branches))],
                 "label": "concat"}]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


@networks.add(
    "inception", InceptionParams, "Inception blocks: 1×1, 3×3, 5×5 and pooling side by side, 1×1 bottlenecks",
    accepts=["image"], batchable=True, formula=r"y = [\,c_{1\times1}(x),\ c_{3\times3}(c_{1\times1}(x)),\ "
    r"c_{5\times5}(c_{1\times1}(x)),\ c_{1\times1}(\mathrm{pool}(x))\,]",
)
def inception(params: InceptionParams, info: DataInfo, out_features: int) -> nn.Module:
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
