"""Members that share a forward pass: their weights stacked on a member axis, one forward and backward for all.

The weights live in one [M, N] tensor, a row per member, seen three ways: as the stacked tensors the batched
network computes with (engine/batched_layers.py), as each member's own module (probes, per-layer norms and
checkpoints read it as they read a solo run's), and as each member's flat row, which that member's own optimizer
steps. Gradients land in a matching [M, N] tensor. Stepping one flat row is stepping the layers one by one for an
optimizer whose registry entry says `elementwise` (each weight moves by its own gradient and history alone), and
it is one tensor op where the layers would be one per layer (measured here: eight Adam steps of the 3-layer MLP,
0.55 ms flat against 1.36 ms layer by layer).
"""

from __future__ import annotations

import copy
import ctypes
import functools
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch import nn

from engine.batched_layers import fold
from engine.batched_side import side_by_side
from engine.losses import Objective
from engine.tricks import LossOfOutput

if TYPE_CHECKING:
    from engine.trainer import Run

# the stacked tensors' gradients are strided views of the [M, N] gradient: accumulating into them is intended
warnings.filterwarnings("ignore", message="grad and param do not obey the gradient layout contract")


@functools.cache
def keep_freed_memory() -> bool:
    """Let glibc keep freed blocks up to 32 MiB in the heap, not hand them back to the kernel: a batched CPU step
    allocates activations M times a solo run's (2 MiB each for 8 CNN members on MNIST-1D), which glibc's default
    thresholds return to the kernel at every free, so the next step page-faults them back in. Measured here on a
    300-step race of 8 CNN members: 665 000 page faults and 9.8 s CPU, with this 0 and 8.6 s. Process-wide,
    once; False where the C library has no mallopt (not glibc)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    # setting either turns off glibc's own sliding thresholds, so both are set: M_MMAP_THRESHOLD (-3) at glibc's
    # largest, M_TRIM_THRESHOLD (-1): free memory the heap may hold at its top before it shrinks
    return bool(mallopt(-3, 32 << 20) and mallopt(-1, 128 << 20))


def unhooked_step(optimizer: torch.optim.Optimizer) -> None:
    """optimizer.step() without the profiler label and step hooks torch wraps around every call: 10–19 µs a call
    on this CPU (as much as an SGD step itself), paid here once per member per step. Descent registers no
    optimizer hooks; the lr scheduler hears that the optimizer stepped, as its own wrapper would have told it."""
    step = type(optimizer).step
    optimizer._opt_called = True
    getattr(step, "__wrapped__", step)(optimizer)


def _leaf(data: torch.Tensor, grad: torch.Tensor) -> nn.Parameter:
    """A parameter that is a view of `data`, its gradient a view of `grad`: both stay shared with the stack."""
    leaf = nn.Parameter(torch.empty(0, device=data.device))
    leaf.data, leaf.grad = data, grad
    return leaf


class Batched:
    def __init__(self, models: list[nn.Module], device: torch.device):
        self.members = len(models)
        if device.type == "cpu":
            keep_freed_memory()
        self.network = copy.deepcopy(models[0])
        shapes = [p.shape for p in models[0].parameters()]
        ends = torch.tensor([0, *[s.numel() for s in shapes]]).cumsum(0).tolist()
        self.spans = list(zip(ends[:-1], ends[1:], shapes, strict=True))
        self.weights = torch.empty(self.members, ends[-1], device=device)
        self.grads = torch.zeros(self.members, ends[-1], device=device)
        for row, model in enumerate(models):
            model.to(device)  # a parameter's data can only be swapped for a view on its own device
            for p, (a, b, shape) in zip(model.parameters(), self.spans, strict=True):
                self.weights[row, a:b] = p.detach().reshape(-1)
                p.data, p.grad = self.weights[row, a:b].view(shape), self.grads[row, a:b].view(shape)
        names = [name for name, _ in models[0].named_parameters()]
        stacked: dict[str, torch.Tensor] = {
            name: _leaf(self.weights[:, a:b].view(-1, *shape), self.grads[:, a:b].view(-1, *shape))
            for name, (a, b, shape) in zip(names, self.spans, strict=True)
        }
        for name, _ in models[0].named_buffers():
            # running statistics: each member's module keeps a view of its row, as the weights do
            owners = [model.get_submodule(name.rpartition(".")[0]) for model in models]
            field = name.rpartition(".")[2]
            stacked[name] = torch.stack([getattr(owner, field) for owner in owners]).to(device)
            for row, owner in enumerate(owners):
                getattr(owner, field).data = stacked[name][row]
        side_by_side(fold(self.network, stacked, self.members), self.members)
        self.rows = [_leaf(self.weights[row], self.grads[row]) for row in range(self.members)]
        self.models = models

    def parameters(self, index: int) -> list[torch.Tensor]:
        return [self.rows[index]]

    def fold(self, x: torch.Tensor) -> torch.Tensor:
        """[B, ...] → [M·B, ...]: every member sees the same batch."""
        return x.expand(self.members, *x.shape).reshape(-1, *x.shape[1:])

    def loss_fn(self, objective: Objective) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        """(folded output, one member's target) → each member's loss, [M]: one call where the loss has a
        per-sample form (a member's loss is the mean of its samples'), else one call per member."""
        members, each = self.members, objective.per_sample
        if each is not None:
            return lambda out, y: each(out, self.fold(y)).reshape(members, -1).mean(1)
        return lambda out, y: torch.stack([objective.fn(o, y) for o in out.view(members, -1, *out.shape[1:]).unbind(0)])

    def step(self, runs: list[Run], inputs: torch.Tensor, loss_of: LossOfOutput, due: bool) -> torch.Tensor:
        """One forward and backward for all members; each member still training then takes its own step."""
        self.grads.zero_()
        losses = loss_of(self.network(self.fold(inputs)))
        total = losses.sum()  # each member's weights get the gradient of its own loss alone
        for run in runs:
            if run.penalty is not None:
                total = total + run.penalty(run.model)
        total.backward()
        for run in runs:
            run.after_backward(due)
            unhooked_step(run.optimizer)
        return losses.detach()

    def checkpointed(self, optimizer: torch.optim.Optimizer, index: int) -> LayeredState:
        return LayeredState(optimizer, self.spans)


class LayeredState:
    """A member's flat optimizer as the same optimizer over the member's layers would have saved itself, so a
    checkpoint of a batched member continues as a solo run and the other way round."""

    def __init__(self, optimizer: torch.optim.Optimizer, spans: list[tuple[int, int, torch.Size]]):
        self.optimizer, self.spans = optimizer, spans

    def state_dict(self) -> dict:
        flat = self.optimizer.state_dict()
        total = self.spans[-1][1]
        state = flat["state"].get(0, {})

        def part(value, a: int, b: int, shape: torch.Size):
            if torch.is_tensor(value) and value.shape == (total,):
                return value[a:b].view(shape)
            return value.clone() if torch.is_tensor(value) else value  # e.g. `step`: one per layer, never shared

        layers = {i: {k: part(v, *span) for k, v in state.items()} for i, span in enumerate(self.spans) if state}
        groups = [{**flat["param_groups"][0], "params": list(range(len(self.spans)))}]
        return {"state": layers, "param_groups": groups}
