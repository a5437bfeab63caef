"""Networks: each entry builds an nn.Module from its params and the data set's shape.

Capability on an entry: `batchable`, the network is built from layers with a batched form (engine/batched_layers.py)
and code that treats samples one by one, so race members with this network train in one forward pass.
"""

from __future__ import annotations

from engine.registry import Registry, load_entries

networks = Registry("network")

# registration order is catalog order: simplest first
load_entries(__name__, __path__, first=["mlp", "cnn", "classic", "resnet", "inception", "recurrent", "transformer",
                                        "siamese"])
