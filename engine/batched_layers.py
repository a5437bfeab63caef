"""Batched forms of the layers that hold weights: M members' layers as one, on activations folded [M·B, ...].

Rows m·B … (m+1)·B − 1 of a folded activation belong to member m, so every layer that treats samples one by one
(activations, pooling, dropout, flatten, residual sums, concatenation along channels) runs unchanged on it; only
layers with weights or statistics need a form here. A network whose registry entry says `batchable` must be
built from these layers and sample-wise code alone; `fold` names any other layer it meets.

Measured on this 2-core CPU (torch 2.13): torch.func.vmap over functional_call cost 1.0–1.3 ms per forward and
backward of 8 members of a 3-layer MLP at batch 32, these forms 0.45–0.6 ms; both end in the same kernels
(batched matmul, convolution with M times the groups), vmap adds Python around every call.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MemberLinear(nn.Module):
    """y = x Wᵀ + b for each member: one batched matmul over the member axis."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None):
        super().__init__()
        self.weight, self.bias = weight, bias  # [M, out, in], [M, out]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(len(self.weight), -1, x.shape[-1])
        if self.bias is None:
            out = torch.bmm(h, self.weight.transpose(1, 2))
        else:
            out = torch.baddbmm(self.bias.unsqueeze(1), h, self.weight.transpose(1, 2))
        return out.view(*x.shape[:-1], -1)


def _to_channels(x: torch.Tensor, members: int) -> torch.Tensor:
    """[M·B, C, ...] → [B, M·C, ...]: members side by side along the channels."""
    return x.view(members, -1, *x.shape[1:]).transpose(0, 1).reshape(-1, members * x.shape[1], *x.shape[2:])


def _from_channels(x: torch.Tensor, members: int) -> torch.Tensor:
    """[B, M·C, ...] → [M·B, C, ...]."""
    return x.view(len(x), members, -1, *x.shape[2:]).transpose(0, 1).reshape(-1, x.shape[1] // members, *x.shape[2:])


def side_in(x: torch.Tensor, members: int) -> torch.Tensor:
    """[M·B, C, *S] → [B, M·C, *S] in channels-last memory ([B, *S, M, C]), one copy; a 1-D map lifted to a 2-D
    one of height 1, since channels-last has no 1-D form."""
    if x.dim() == 3:
        x = x.unsqueeze(2)
    batch, channels, *space = x.shape
    rank = len(space)
    h = x.view(members, batch // members, channels, *space).permute(1, *range(3, 3 + rank), 0, 2)
    h = h.reshape(batch // members, *space, members * channels).permute(0, rank + 1, *range(1, rank + 1))
    # one input channel: the reshape above is a view, in no layout a convolution knows
    return h.contiguous(memory_format=torch.channels_last if rank == 2 else torch.channels_last_3d)


def side_out(h: torch.Tensor, members: int, flat: bool) -> torch.Tensor:
    """side_in's inverse: [B, M·C, *S] (channels-last) → [M·B, C, *S], one copy; `flat` drops the lifted height."""
    batch, channels, *space = h.shape
    rank = len(space)
    out = h.permute(0, *range(2, 2 + rank), 1).reshape(batch, *space, members, channels // members)
    out = out.permute(rank + 1, 0, rank + 2, *range(1, rank + 1)).reshape(-1, channels // members, *space)
    return out.squeeze(2) if flat else out


class MemberConv(nn.Module):
    """A 1-D, 2-D or 3-D convolution per member: one grouped convolution with M times the groups, members side by
    side along the channels in channels-last memory (a 1-D one as a 2-D one over a height of 1). Measured here,
    oneDNN's grouped convolution in the default layout took 12× one member's forward and backward at 8 members,
    in channels-last 5–8×, and one convolution per member 7–10×."""

    def __init__(self, conv: nn.Conv1d | nn.Conv2d | nn.Conv3d, weight: torch.Tensor, bias: torch.Tensor | None):
        super().__init__()
        if conv.padding_mode != "zeros":
            raise ValueError(f"padding_mode '{conv.padding_mode}' has no batched form")
        self.flat = isinstance(conv, nn.Conv1d)
        lift = (lambda v: v if isinstance(v, str) else (1, *v)) if self.flat else (lambda v: v)
        self.stride, self.dilation = lift(conv.stride), lift(conv.dilation)
        self.padding = conv.padding if isinstance(conv.padding, str) or not self.flat else (0, *conv.padding)
        self.groups = conv.groups
        self.weight, self.bias = weight, bias  # [M, C_out, C_in / groups, *kernel], [M, C_out]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return side_out(self.side(side_in(x, len(self.weight))), len(self.weight), self.flat)

    def side(self, h: torch.Tensor) -> torch.Tensor:
        """On members side by side ([B, M·C, *S], channels-last, 1-D lifted): the grouped convolution itself."""
        members, c_out = self.weight.shape[:2]
        weight = self.weight.reshape(members * c_out, *self.weight.shape[2:])
        if self.flat:
            weight = weight.unsqueeze(2)
        rank = h.dim() - 2
        layout = torch.channels_last if rank == 2 else torch.channels_last_3d
        convolve = F.conv2d if rank == 2 else F.conv3d
        bias = None if self.bias is None else self.bias.reshape(-1)
        return convolve(h, weight.contiguous(memory_format=layout), bias, self.stride, self.padding, self.dilation,
                        self.groups * members)


class MemberBatchNorm(nn.Module):
    """Batch norm with each member's own batch statistics and running averages: channels side by side."""

    def __init__(self, norm: nn.modules.batchnorm._BatchNorm, members: int, weight, bias, running_mean, running_var,
                 tracked):
        super().__init__()
        self.members = members
        self.eps, self.momentum, self.track = norm.eps, norm.momentum, norm.track_running_stats
        self.weight, self.bias = weight, bias  # [M, C] each, or None
        self.running_mean, self.running_var, self.tracked = running_mean, running_var, tracked  # [M, C], [M]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _from_channels(self.side(_to_channels(x, self.members)), self.members)

    def side(self, h: torch.Tensor) -> torch.Tensor:
        """On members side by side: each member's channels are channels of their own, so this is batch norm."""
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track:
            self.tracked.add_(1)
            if self.momentum is None:  # a cumulative average, as nn.BatchNorm keeps it
                momentum = 1.0 / float(self.tracked[0])
        flat = lambda t: None if t is None else t.reshape(-1)  # noqa: E731
        return F.batch_norm(h, flat(self.running_mean), flat(self.running_var), flat(self.weight), flat(self.bias),
                            self.training or not self.track, momentum, self.eps)


class MemberNorm(nn.Module):
    """Layer norm (nn.LayerNorm over the last dims, nn.GroupNorm over groups of channels): statistics are each
    sample's own already, so only the elementwise affine is per member."""

    def __init__(self, norm: nn.LayerNorm | nn.GroupNorm, members: int, weight, bias):
        super().__init__()
        self.norm, self.members = norm, members
        self.weight, self.bias = weight, bias  # [M, *normalized_shape] or [M, C], or None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = self.norm
        if isinstance(norm, nn.GroupNorm):
            out = F.group_norm(x, norm.num_groups, None, None, norm.eps)
            shape = (self.members, 1, -1, *[1] * (x.dim() - 2))  # per channel
        else:
            out = F.layer_norm(x, norm.normalized_shape, None, None, norm.eps)
            shape = (self.members, *[1] * (x.dim() - len(norm.normalized_shape)), *norm.normalized_shape)
        out = out.view(self.members, -1, *x.shape[1:])
        if self.weight is not None:
            out = out * self.weight.reshape(shape)
        if self.bias is not None:
            out = out + self.bias.reshape(shape)
        return out.view_as(x)

    def side(self, h: torch.Tensor) -> torch.Tensor:
        """Group norm on members side by side: each member's groups are M times as many groups of the same size."""
        flat = lambda t: None if t is None else t.reshape(-1)  # noqa: E731
        return F.group_norm(h, self.norm.num_groups * self.members, flat(self.weight), flat(self.bias), self.norm.eps)


class MemberPReLU(nn.Module):
    """PReLU with each member's learned slopes (one per channel, or one for all)."""

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        self.weight = weight  # [M, n]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        members = len(self.weight)
        h = x.view(members, -1, *x.shape[1:])
        slope = self.weight.view(members, 1, self.weight.shape[1], *[1] * (x.dim() - 2))
        return torch.where(h >= 0, h, slope * h).view_as(x)

    def side(self, h: torch.Tensor) -> torch.Tensor:
        """On members side by side: a slope per channel of every member (one slope for all is repeated)."""
        members, slopes = self.weight.shape
        slope = self.weight.repeat_interleave(h.shape[1] // members // slopes, dim=1).view(1, -1, *[1] * (h.dim() - 2))
        return torch.where(h >= 0, h, slope * h)


def _form(module: nn.Module, tensors: dict[str, torch.Tensor], members: int) -> nn.Module | None:
    """The batched form of `module`, built on the stacked tensors named as the module names its own."""
    get = tensors.get
    if isinstance(module, nn.Linear):
        return MemberLinear(get("weight"), get("bias"))
    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        return MemberConv(module, get("weight"), get("bias"))
    if isinstance(module, (nn.LayerNorm, nn.GroupNorm)):
        return MemberNorm(module, members, get("weight"), get("bias"))
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
        return MemberBatchNorm(module, members, get("weight"), get("bias"), get("running_mean"), get("running_var"),
                               get("num_batches_tracked"))
    if isinstance(module, nn.PReLU):
        return MemberPReLU(get("weight"))
    return None


def fold(network: nn.Module, stacked: dict[str, torch.Tensor], members: int, prefix: str = "") -> nn.Module:
    """Replace, in place, each layer of `network` that holds weights or statistics by its batched form over
    `stacked` (parameter and buffer names → tensors with the member axis first); returns `network`."""
    for name, child in network.named_children():
        path = f"{prefix}{name}"
        own = [n for n, _ in [*child.named_parameters(recurse=False), *child.named_buffers(recurse=False)]]
        form = _form(child, {n: stacked[f"{path}.{n}"] for n in own}, members)
        if form is not None:
            setattr(network, name, form)
        elif own:
            raise ValueError(f"layer {path} ({type(child).__name__}) has no batched form")
        else:
            fold(child, stacked, members, path + ".")
    return network
