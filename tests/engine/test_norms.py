"""`norm` on the MLP and the CNN: none, batch or layer norm, and configs that still say `batch_norm` load."""

from __future__ import annotations

import pytest
import torch
from engine_helpers import config, info_of
from torch import nn

from engine.config import ConfigError, explicit, resolve
from engine.networks import networks


def _build(name: str, dataset: str, **params) -> nn.Module:
    torch.manual_seed(0)
    return networks[name].build(networks[name].params(**params), info_of(dataset), 3)


def _hidden(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The first norm layer's output (the normalized pre-activation)."""
    seen = []
    layer = next(m for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm,
                                                                  nn.GroupNorm)))
    hook = layer.register_forward_hook(lambda _m, _i, out: seen.append(out))
    model(x)
    hook.remove()
    return seen[0]


@pytest.mark.parametrize("network,dataset", [("mlp", "moons"), ("cnn", "shapes")])
def test_layer_norm_reads_each_sample_alone_and_batch_norm_reads_the_batch(network, dataset):
    x = torch.randn(8, *info_of(dataset).input_shape)
    layer, batch = _build(network, dataset, norm="layer"), _build(network, dataset, norm="batch")
    # a sample's layer-normed units do not depend on its batch mates; batch-normed ones do (in training)
    assert torch.allclose(_hidden(layer, x)[:1], _hidden(layer, x[:4])[:1], atol=1e-6)
    assert not torch.allclose(_hidden(batch, x)[:1], _hidden(batch, x[:4])[:1], atol=1e-3)
    flat = _hidden(layer, x).flatten(1)
    assert torch.allclose(flat.mean(1), torch.zeros(8), atol=1e-5)  # zero mean over each sample's own units
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.LayerNorm, nn.GroupNorm, nn.BatchNorm2d))
                   for m in _build(network, dataset, norm="none").modules())


@pytest.mark.parametrize("network,dataset", [("mlp", "moons"), ("cnn", "digits")])
@pytest.mark.parametrize("old,new", [(True, "batch"), (False, "none")])
def test_a_stored_config_with_batch_norm_still_loads(network, dataset, old, new):
    plan = resolve(config(dataset, network, model_spec={"name": network, "params": {"batch_norm": old}}))
    assert plan.params["model"].norm == new
    written = explicit(plan).model.params
    assert written["norm"] == new and "batch_norm" not in written  # stored again under the new name


def test_batch_norm_and_a_different_norm_together_are_refused():
    with pytest.raises(ConfigError) as caught:
        resolve(config("moons", "mlp", model_spec={"name": "mlp", "params": {"batch_norm": True, "norm": "layer"}}))
    assert caught.value.errors[0]["loc"][:2] == ["model", "params"]
    assert "batch_norm" in caught.value.errors[0]["msg"]
