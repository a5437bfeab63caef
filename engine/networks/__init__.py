"""Networks: each entry builds an nn.Module from its params and the data set's shape."""

from __future__ import annotations

from engine.registry import Registry

networks = Registry("network")

from engine.networks import mlp, cnn, classic, resnet, inception  # noqa: E402,F401  (registers entries)
from engine.networks import recurrent, transformer, siamese  # noqa: E402,F401
