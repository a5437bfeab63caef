"""The notes' size and parameter formulas against what PyTorch actually builds, over many shapes."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from engine.networks.conv import Stack, conv_out_size, padding_amount

FAST = settings(max_examples=60, deadline=None)


@FAST
@given(width=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4), padding=st.integers(0, 3))
def test_output_size_formula(width, kernel, stride, padding):
    if width + 2 * padding < kernel:
        return
    conv = nn.Conv2d(1, 1, kernel, stride, padding)
    out = conv(torch.zeros(1, 1, width, width + 1))
    assert out.shape[2] == conv_out_size(width, kernel, stride, padding)  # ⌊(W − F + 2P)/S⌋ + 1
    assert out.shape[3] == conv_out_size(width + 1, kernel, stride, padding)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@FAST
@given(width=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4), rank=st.sampled_from([1, 2]))
def test_same_and_valid_padding(width, kernel, stride, rank):
    if stride > 1 and kernel % 2 == 0:
        kernel += 1  # 'same' with a stride needs an odd kernel (the CNN builder rejects the rest)
    shape = (2, *[width] * rank)
    same = Stack(shape).conv(3, kernel, stride, "same")
    out = nn.Sequential(*same.layers)(torch.zeros(1, *shape))
    assert list(out.shape[2:]) == same.size == [math.ceil(width / stride)] * rank
    if width >= kernel:
        valid = Stack(shape).conv(3, kernel, stride, "valid")
        out = nn.Sequential(*valid.layers)(torch.zeros(1, *shape))
        assert list(out.shape[2:]) == valid.size == [(width - kernel) // stride + 1] * rank
    assert padding_amount("valid", kernel, stride) == 0


@FAST
@given(kernel=st.integers(1, 7), c_in=st.integers(1, 64), c_out=st.integers(1, 64), rank=st.sampled_from([1, 2]))
def test_conv_parameter_count(kernel, c_in, c_out, rank):
    conv = (nn.Conv1d, nn.Conv2d)[rank - 1](c_in, c_out, kernel)
    assert sum(p.numel() for p in conv.parameters()) == kernel**rank * c_in * c_out + c_out


@FAST
@given(n_in=st.integers(1, 512), n_out=st.integers(1, 512))
def test_fully_connected_parameter_count(n_in, n_out):
    assert sum(p.numel() for p in nn.Linear(n_in, n_out).parameters()) == n_in * n_out + n_out


@FAST
@given(width=st.integers(2, 33), pools=st.integers(1, 6))
def test_stack_tracks_pools_and_features(width, pools):
    stack = Stack((1, width, width)).conv(4)
    for _ in range(pools):
        stack.pool("max")
    out = nn.Sequential(*stack.layers, nn.Flatten())(torch.zeros(1, 1, width, width))
    assert out.shape[1] == stack.features and min(stack.size) >= 1
