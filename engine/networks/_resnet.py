"""torch side of engine/networks/resnet.py: the basic residual block."""

from __future__ import annotations

import torch
from torch import nn

from engine.networks.conv import conv_cls, conv_unit, norm_cls


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
