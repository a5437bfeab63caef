"""What makes each network what it is: attention maps, skips, bottlenecks, sequences read in time order."""

from __future__ import annotations

import torch
from engine_helpers import info_of
from torch import nn

from engine.inits import initializers
from engine.networks import networks
from engine.networks._activations import curves
from engine.networks._conv import GlobalAvgPool
from engine.networks._resnet import BasicBlock
from engine.networks.activations import activations
from engine.networks.recurrent import steps_and_features


def _build(name: str, dataset: str, out_features: int = 10, **params) -> nn.Module:
    torch.manual_seed(0)
    return networks[name].build(networks[name].params(**params), info_of(dataset), out_features)


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_transformer_gives_its_last_attention_map_only_when_asked():
    model = _build("transformer", "parity", 2, nhead=2)
    x = torch.randn(5, *info_of("parity").input_shape)
    asked = []
    for layer in model.layers:  # what each layer asks of nn.MultiheadAttention
        layer.attn.register_forward_pre_hook(lambda _m, _a, kw: asked.append(kw["need_weights"]), with_kwargs=True)
    out = model(x)
    assert asked == [False, False]  # a training forward never asks: fused kernels, no (B, heads, T, T) kept
    maps = model.attention_maps(x)
    steps = x.shape[1]
    assert asked[2:] == [False, True] and maps.shape == (5, 2, steps, steps)
    assert torch.allclose(maps.sum(-1), torch.ones(5, 2, steps), atol=1e-5)
    assert all(layer.attention is None for layer in model.layers)  # nothing held between readings
    assert torch.allclose(model(x), out)


def test_resnet_block_adds_its_input_only_with_skips():
    for skip in (True, False):
        block = BasicBlock(2, 4, 4, 1, skip)
        nn.init.zeros_(block.body[1].weight)  # F(x) = BN(0) = 0: what is left is the shortcut
        x = torch.randn(2, 4, 5, 5)
        expected = torch.relu(x) if skip else torch.zeros_like(x)
        assert torch.allclose(block.eval()(x), expected, atol=1e-6)
    assert _count(_build("resnet", "shapes", skip_connections=False)) < _count(_build("resnet", "shapes"))


def test_inception_bottleneck_cuts_parameters():
    with_bottleneck = _count(_build("inception", "digits", bottleneck=True))
    assert with_bottleneck < _count(_build("inception", "digits", bottleneck=False))


def test_cnn_is_1d_on_signals_2d_on_images_and_3d_on_volumes():
    assert any(isinstance(m, nn.Conv1d) for m in _build("cnn", "mnist1d").modules())
    assert any(isinstance(m, nn.Conv2d) for m in _build("cnn", "digits").modules())
    volume = _build("cnn", "volumes", 4, norm="batch")
    kinds = {type(m) for m in volume.modules()}
    assert {nn.Conv3d, nn.MaxPool3d, nn.BatchNorm3d} <= kinds and not kinds & {nn.Conv2d, nn.MaxPool2d}
    size = info_of("volumes").input_shape[-1]
    assert volume(torch.randn(2, 1, size, size, size)).shape == (2, 4)


def test_a_signal_is_read_as_time_steps():
    assert steps_and_features(info_of("mnist1d")) == (40, 1)
    assert steps_and_features(info_of("adding")) == (info_of("adding").input_shape[0], 2)
    model = _build("gru", "mnist1d")
    assert model.core.input_size == 1
    x = torch.randn(3, 1, 40)
    reversed_in_time = model(x.flip(-1))
    assert not torch.allclose(model(x), reversed_in_time)  # order matters: it is a sequence, not a bag


def test_bidirectional_many_to_one_head_sees_both_directions():
    model = _build("lstm", "parity", 2, bidirectional=True, hidden_size=8, num_layers=2)
    assert model.head.in_features == 16
    assert model(torch.randn(4, *info_of("parity").input_shape)).shape == (4, 2)


def test_zero_init_reaches_recurrent_and_attention_weights():
    for name, dataset in (("lstm", "parity"), ("transformer", "parity")):
        model = _build(name, dataset, 2)
        initializers["zeros"].build(initializers["zeros"].params())(model)
        matrices = [p for n, p in model.named_parameters() if "weight" in n and p.dim() > 1]
        assert matrices and all((p == 0).all() for p in matrices)


def test_siamese_embeds_with_shared_weights():
    model = _build("siamese", "digits", 16)
    x = torch.randn(6, 1, 8, 8)
    together = model.eval()(x)
    apart = torch.cat([model(x[:3]), model(x[3:])])
    assert together.shape == (6, 16) and torch.allclose(together, apart, atol=1e-6)


def test_global_pooling_is_the_mean_of_each_channel_in_1d_and_2d():
    cases = ((torch.randn(3, 4, 5, 6), nn.AdaptiveAvgPool2d(1)), (torch.randn(3, 4, 7), nn.AdaptiveAvgPool1d(1)))
    for x, adaptive in cases:
        assert torch.allclose(GlobalAvgPool()(x), adaptive(x).flatten(1), atol=1e-6)


def test_stored_activation_curves_are_what_autograd_gives():
    # stale after a unit changes: rewrite them with `python -m engine.networks._activations`
    stored = {entry.name: entry.meta["curve"] for entry in activations if entry.meta["curve"] is not None}
    assert stored == curves()
    assert activations["relu"].build() is not activations["relu"].build()  # a fresh module for every layer
