"""Many points of a 2-D loss landscape per forward pass: the model folded over K perturbed copies of its weights.

The copies are members in the sense of a batched race (engine/batched_layers.py): a network whose registry entry
is `batchable` runs K weight sets on K copies of the samples in one forward, so a 51×51 grid takes ~2601 / K
forwards instead of 2601. On a GPU that is the difference (a small model's forward is launch-bound); on this CPU
a forward is compute-bound and the folded one was slower (0.23 against 0.13 CPU seconds for a 7×7 grid of the
MNIST-1D CNN: grouped convolutions), so surface() folds on a GPU only unless asked (bench/landscape.py: both ways).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from engine.batched_layers import fold

State = dict[str, torch.Tensor]
# samples × grid points per forward: what bounds the activations' memory, and the batch a device runs best
ROWS_PER_FORWARD = {"cpu": 4096, "cuda": 65536}


class PointBatch:
    """The model folded over `size` weight slots; `losses` fills them with θ + a·d1 + b·d2 and reads each loss."""

    def __init__(self, model: nn.Module, final: State, d1: State, d2: State, samples: int):
        self.final, self.d1, self.d2 = final, d1, d2
        device = next(iter(final.values())).device
        self.size = max(1, ROWS_PER_FORWARD.get(device.type, 4096) // max(1, samples))
        # buffers (BN statistics) are the same for every point; parameters are refilled for each chunk
        self.slots = {k: v.expand(self.size, *v.shape).clone() for k, v in final.items()}
        self.net = fold(copy.deepcopy(model), self.slots, self.size).eval()  # the forms fold makes start in training

    @torch.no_grad()
    def losses(self, coords: list[tuple[float, float]], x: torch.Tensor, y: torch.Tensor, loss_fn) -> list[float]:
        """The loss at θ_final + a·d1 + b·d2 for each (a, b), up to `size` at once."""
        count = len(coords)
        padded = coords + [coords[-1]] * (self.size - count)  # a short last chunk fills the spare slots
        device = x.device
        a = torch.tensor([c[0] for c in padded], device=device)
        b = torch.tensor([c[1] for c in padded], device=device)
        for k, d in self.d1.items():
            shape = (-1, *[1] * d.dim())
            slot = self.slots[k]
            # the same sums, in the same order, as the one-at-a-time way: θ + a·d1, then + b·d2
            torch.add(self.final[k], a.view(shape).to(d.dtype) * d, out=slot)
            slot.add_(b.view(shape).to(d.dtype) * self.d2[k])
        out = self.net(x.repeat(self.size, *[1] * (x.dim() - 1)))
        out = out.view(self.size, len(x), *out.shape[1:])
        return torch.stack([loss_fn(out[i], y) for i in range(count)]).tolist()  # one host sync per chunk
