"""Training tricks the loop applies: augmentation, mixup, gradient clipping and early stopping.

They are settings of the training loop (RunConfig.train), not registry components: each is one knob that is
off by default, a run uses any mix of them at once, and none has alternatives to pick from a list.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import Field

from engine.lazy import numpy as np
from engine.lazy import torch
from engine.registry import Params

if TYPE_CHECKING:  # the trainer builds the HiddenMix; this file only calls it (and stays importable without torch)
    from engine.manifold_mixup import HiddenMix

LossOfOutput = Callable[["torch.Tensor"], "torch.Tensor"]  # names in quotes: an alias is evaluated at import
SHAPED_KINDS = ("image", "signal", "volume")  # where flips and shifts make sense


class Augmentation(Params):
    flip: bool = Field(False, description="mirror half the samples left-right (images and signals)")
    shift: int = Field(0, ge=0, le=8, description="random shift by up to this many pixels, zero-filled (a random crop)")
    noise: float = Field(0.0, ge=0.0, le=2.0, description="std of Gaussian noise added to each input (colour noise)")
    rotate: float = Field(0.0, ge=0.0, le=180.0,
                          description="rotate each image by its own random angle in [−r, r] degrees (zero-filled)")


# the data kinds each spatial augmentation needs (noise fits any data)
AUGMENT_KINDS = {"flip": SHAPED_KINDS, "shift": SHAPED_KINDS, "rotate": ("image",)}


class EarlyStopping(Params):
    patience: int = Field(10, ge=1, le=100_000, description="evaluations without a better val loss before stopping")
    min_delta: float = Field(0.0, ge=0.0, le=1e6, description="smallest decrease of the val loss that counts")


def _flip(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    chosen = torch.rand(len(x), generator=gen, device=x.device) < 0.5
    return torch.where(chosen.view(-1, *[1] * (x.dim() - 1)), x.flip(-1), x)


def _shift(x: torch.Tensor, most: int, gen: torch.Generator) -> torch.Tensor:
    """Shift each sample by its own random offset along every spatial axis: pad, then gather a window."""
    for dim in range(2, x.dim()):
        size = x.shape[dim]
        padded = torch.nn.functional.pad(x, [0, 0] * (x.dim() - 1 - dim) + [most, most])
        offset = torch.randint(0, 2 * most + 1, (len(x),), generator=gen, device=x.device)
        view = [1] * x.dim()
        view[dim] = size
        index = offset.view(-1, *[1] * (x.dim() - 1)) + torch.arange(size, device=x.device).view(view)
        x = padded.gather(dim, index.expand(x.shape))
    return x


def _rotate(x: torch.Tensor, degrees: float, gen: torch.Generator) -> torch.Tensor:
    """Turn each image about its centre by an angle drawn from U(−degrees, degrees), bilinear, zeros outside."""
    angle = (torch.rand(len(x), generator=gen, device=x.device) * 2 - 1) * math.radians(degrees)
    cos, sin, zero = angle.cos(), angle.sin(), torch.zeros_like(angle)
    # affine_grid maps output to input coordinates, so this matrix turns the picture by +angle
    theta = torch.stack([torch.stack([cos, sin, zero], 1), torch.stack([-sin, cos, zero], 1)], 1)
    grid = torch.nn.functional.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


class BatchTricks:
    """Draws augmentation and mixup once per step, so an optimizer that re-evaluates (L-BFGS) sees one function.
    With `hidden` (manifold mixup) the samples are mixed inside the network instead of at its input."""

    def __init__(self, augment: Augmentation | None, mixup_alpha: float, seed: int, device: torch.device,
                 hidden: HiddenMix | None = None):
        self.augment, self.mixup_alpha, self.hidden = augment, mixup_alpha, hidden
        # own generators: turning a trick on leaves the batch order and the weights' init untouched
        self.gen = torch.Generator(device=device).manual_seed(seed + 2)
        self.rng = np.random.default_rng(seed + 3)

    def prepare(self, x: torch.Tensor, y: torch.Tensor, fn: Callable) -> tuple[torch.Tensor, LossOfOutput]:
        """The inputs to feed the model and the loss of its output."""
        if self.augment is not None:
            x = self.transform(x)
        if self.mixup_alpha <= 0:
            return x, lambda out: fn(out, y)
        # mixup (Zhang et al. 2018): mixing the losses equals the loss on mixed one-hot targets, for any loss
        lam = float(self.rng.beta(self.mixup_alpha, self.mixup_alpha))
        partner = torch.randperm(len(x), generator=self.gen, device=x.device)
        if self.hidden is not None:
            self.hidden.arm(int(self.rng.integers(len(self.hidden.points))), lam, partner)
        else:
            x = lam * x + (1 - lam) * x[partner]
        return x, lambda out: lam * fn(out, y) + (1 - lam) * fn(out, y[partner])

    def state_dict(self) -> dict:
        """Generator states as tensors and plain numbers (checkpoints load with weights_only=True)."""
        return {"gen": self.gen.get_state(), "device": self.gen.device.type, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        # a CPU generator's state does not fit a GPU's: a run continued on another kind of device draws afresh
        if state.get("device", "cpu") == self.gen.device.type:
            self.gen.set_state(state["gen"])
        self.rng.bit_generator.state = state["rng"]

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        a = self.augment
        if a.flip and x.dim() > 2:
            x = _flip(x, self.gen)
        if a.shift and x.dim() > 2:
            x = _shift(x, a.shift, self.gen)
        if a.rotate and x.dim() == 4:
            x = _rotate(x, a.rotate, self.gen)
        if a.noise:
            x = x + a.noise * torch.randn(x.shape, generator=self.gen, device=x.device)
        return x


def clip_gradients(parameters: list[torch.Tensor], clip_value: float | None, max_norm: float | None) -> None:
    """By value first (each component into [−v, v]), then by the global norm (rescale if ‖g‖ > max)."""
    if clip_value is not None:
        torch.nn.utils.clip_grad_value_(parameters, clip_value)
    if max_norm is not None:
        torch.nn.utils.clip_grad_norm_(parameters, max_norm)


class EarlyStopper:
    """Counts evaluations since the val loss last improved by min_delta (Keras' rule)."""

    def __init__(self, params: EarlyStopping):
        self.params, self.best, self.waited = params, math.inf, 0

    def state_dict(self) -> dict:
        return {"best": self.best, "waited": self.waited}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.waited = state["best"], state["waited"]

    def should_stop(self, val_loss: float) -> bool:
        if val_loss < self.best - self.params.min_delta:
            self.best, self.waited = val_loss, 0
            return False
        self.waited += 1
        return self.waited >= self.params.patience
