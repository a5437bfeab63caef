"""Manifold mixup (Verma et al. 2019): two samples are mixed at a hidden layer chosen at random each step, not at
the input, and their losses are mixed with the same λ.

A network entry says where it may be mixed with its `mixup_points` meta (model -> modules whose input is a hidden
state); the mix is a forward pre-hook on the chosen module, so the network's own code knows nothing of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.lazy import torch
from engine.registry import Entry

if TYPE_CHECKING:
    from torch.utils.hooks import RemovableHandle


def inputs_of_later_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """Every weighted layer but the first: what each one reads is the hidden state the layers before it made."""
    nn = torch.nn
    weighted = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
    return [m for m in model.modules() if isinstance(m, weighted)][1:]


class HiddenMix:
    """Mixes the batch entering one of `points` during training forwards; eval-mode passes are left alone."""

    def __init__(self, points: list[torch.nn.Module]):
        if not points:
            raise ValueError("this network has no hidden layer to mix at")
        self.points = points
        self.handle: RemovableHandle | None = None
        self.last: tuple[int, float, torch.Tensor] | None = None

    def arm(self, index: int, lam: float, partner: torch.Tensor) -> None:
        """Mix at points[index] from now on (an optimizer that re-evaluates, L-BFGS, sees the same mix)."""
        if self.handle is not None:
            self.handle.remove()
        self.last = (index, lam, partner)  # what this step mixes, for the tests and a reader of the run

        def mix(module: torch.nn.Module, args: tuple) -> tuple | None:
            hidden = args[0]
            if not module.training or len(hidden) != len(partner):
                return None
            return (lam * hidden + (1 - lam) * hidden[partner], *args[1:])

        self.handle = self.points[index].register_forward_pre_hook(mix)


def manifold_mix(alpha: float, entry: Entry, model: torch.nn.Module) -> HiddenMix | None:
    """The hidden-layer mix a run asks for (None when manifold_mixup_alpha is 0)."""
    return HiddenMix(entry.meta["mixup_points"](model)) if alpha > 0 else None
