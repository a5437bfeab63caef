"""torch side of engine/networks/inception.py: the four-branch block."""

from __future__ import annotations

import torch
from torch import nn

from engine.networks.conv import conv_unit, pool_cls


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
