"""Networks: each entry builds an nn.Module from its params and the data set's shape."""

from __future__ import annotations

from engine.registry import Registry

networks = Registry("network")

# registration order is catalog order: simplest first
from engine.networks import mlp, cnn, classic, resnet, inception, recurrent, transformer, siamese  # noqa: E402,F401,I001
