"""The normalization choice the MLP and CNN builders share: none, batch norm or layer norm.

Configs stored before `norm` existed said `batch_norm: true/false`; they still load, read as the same choice.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ValidationInfo, model_validator

from engine.registry import Params

NormName = Literal["none", "batch", "layer"]
NORM_HELP = "'batch': statistics over the batch (running averages in eval); 'layer': over each sample's own units"


class ReadsOldBatchNorm(Params):
    """Base of a params model with a `norm` field that also reads the old `batch_norm` bool."""

    @model_validator(mode="before")
    @classmethod
    def _batch_norm_alias(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or "batch_norm" not in data:
            return data
        data = dict(data)
        old = data.pop("batch_norm")
        if not isinstance(old, bool):
            raise ValueError("batch_norm (the old name of norm) must be true or false")
        chosen = "batch" if old else "none"
        if "norm" in (info.context or {}).get("sized", ()):
            data["norm"] = chosen  # a default sized for the data gives way to what the person gave
        if data.setdefault("norm", chosen) != chosen:
            raise ValueError(f"batch_norm={str(old).lower()} and norm='{data['norm']}' disagree; give norm only")
        return data
