"""Default sizes that fit the data set: a network's entry may carry `sized(info) -> {param: value}`, the defaults
for that data set's input size and class count; what the person gives wins over them (engine/config.py).
"""

from __future__ import annotations

import math
from typing import Any

from engine.datasets import DataInfo


def outputs(info: DataInfo) -> int:
    return info.n_classes or info.target_dim


def power_of_two(value: float, low: int, high: int) -> int:
    """The power of two at or above `value`, kept within [low, high]."""
    return min(high, max(low, 2 ** math.ceil(math.log2(max(value, 1)))))


def hidden_width(info: DataInfo) -> int:
    """A fully connected width for flat inputs: about twice inputs plus outputs (16 for 2-D points, 128 for
    MNIST-1D's 40 values and 10 classes, 256 at most)."""
    return power_of_two(2 * (math.prod(info.input_shape) + outputs(info)), 16, 256)


def defaults_for(entry: Any, info: DataInfo | None) -> dict[str, Any]:
    """The data-fitted defaults of a registry entry: none when it has no `sized`, the data is unknown, or the
    entry does not accept that kind of data (the pairing error says so)."""
    sized = entry.meta.get("sized")
    if sized is None or info is None or info.kind not in entry.meta.get("accepts", [info.kind]):
        return {}
    return sized(info)
