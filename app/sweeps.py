"""Random search over a RunConfig ("caviar": many models at once): sample settings, lay them on a base.

No torch work: the space, the seeded sampling, dotted setting paths, the ranking and the parallel-coordinates axes.
"""

from __future__ import annotations

import copy
import math
import random
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.config import SECTIONS

KINDS = ("log_uniform", "uniform", "int_uniform", "choice")
SWEEPABLE = (*SECTIONS, "train")
Metric = Literal["val_loss", "val_acc"]


class Dimension(BaseModel):
    """One setting's distribution: exactly one of the four kinds."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    log_uniform: tuple[float, float] | None = Field(None, description="[low, high], 0 < low < high; uniform in log10")
    uniform: tuple[float, float] | None = Field(None, description="[low, high], low < high")
    int_uniform: tuple[int, int] | None = Field(None, description="[low, high], both included")
    choice: list[Any] | None = Field(None, min_length=1, max_length=64, description="values picked with equal odds")

    @model_validator(mode="after")
    def _one_kind(self) -> Dimension:
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(KINDS)}")
        low, high = getattr(self, given[0]) if given[0] != "choice" else (0, 1)
        if given[0] == "log_uniform" and low <= 0:
            raise ValueError("log_uniform needs low > 0")
        empty = high < low if given[0] == "int_uniform" else high <= low
        if not (math.isfinite(low) and math.isfinite(high)) or empty:
            raise ValueError(f"{given[0]} needs low < high, got [{low}, {high}]")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, k) is not None)

    def sample(self, rng: random.Random) -> Any:
        if self.log_uniform:
            low, high = self.log_uniform
            # the notes' advice: a learning rate spans decades, so each decade gets the same share of trials
            return _round(10 ** rng.uniform(math.log10(low), math.log10(high)))
        if self.uniform:
            return _round(rng.uniform(*self.uniform))
        if self.int_uniform:
            return rng.randint(*self.int_uniform)
        return copy.deepcopy(rng.choice(self.choice))


def _round(x: float) -> float:
    # four significant digits read well in a table and move a sample by under 0.05%
    return float(f"{x:.4g}")


def sample(space: dict[str, Dimension], trials: int, seed: int) -> list[dict[str, Any]]:
    """`trials` draws of every dimension; the same seed gives the same draws."""
    rng = random.Random(seed)
    return [{path: dim.sample(rng) for path, dim in space.items()} for _ in range(trials)]


class PathError(ValueError):
    pass


def _walk(config: dict[str, Any], parts: list[str]) -> tuple[Any, str | int]:
    """The container holding the last part, and the key or index into it."""
    node: Any = config
    for part in parts[:-1]:
        node = _step(node, part)
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise PathError(f"'{last}' is not an index of a list of {len(node)}")
        return node, int(last)
    if not isinstance(node, dict):
        raise PathError(f"'{last}' is inside a plain value")
    return node, last


def _step(node: Any, part: str) -> Any:
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    if isinstance(node, dict) and part in node and node[part] is not None:
        return node[part]
    raise PathError(f"no setting '{part}' here")


def check_path(base: dict[str, Any], path: str, swept_names: set[str]) -> None:
    """Raise PathError unless `path` names a setting of the (explicit) base config."""
    parts = path.split(".")
    if parts[0] not in SWEEPABLE:
        raise PathError(f"a path starts with one of {', '.join(SWEEPABLE)}")
    if len(parts) == 2 and parts[1] == "name" and parts[0] != "train":
        return  # a section may be switched on even when the base leaves it out
    if parts[0] in swept_names and len(parts) > 2 and parts[1] == "params":
        return  # the params of a swept component depend on the name drawn; each trial is checked instead
    container, key = _walk(base, parts)
    if isinstance(container, dict) and key not in container:
        raise PathError(f"no setting '{key}' in {'.'.join(parts[:-1])}")


def apply(base: dict[str, Any], raw: dict[str, Any], values: dict[str, Any], accepts) -> dict[str, Any]:
    """The base with sampled values laid on it; a section whose name changes keeps only the raw
    base's params its new component `accepts(section, name)` (a set of field names)."""
    config = copy.deepcopy(base)
    for path, value in values.items():
        section, *rest = path.split(".")
        if rest == ["name"] and section != "train":
            old = config.get(section) or {}
            if old.get("name") != value:
                kept = (raw.get(section) or {}).get("params", {})
                fields = accepts(section, value)
                config[section] = {"name": value, "params": {k: v for k, v in kept.items() if k in fields}}
    for path, value in values.items():
        parts = path.split(".")
        if parts[1:] != ["name"]:
            _set(config, parts, copy.deepcopy(value))
    return config


def _set(config: dict[str, Any], parts: list[str], value: Any) -> None:
    node: Any = config
    for part in parts[:-1]:
        # params of a switched component may be missing until the config is made explicit
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def score(summary: dict[str, Any] | None, metric: str) -> tuple[Any, Any, Any]:
    """(final, best, score) of a run's summary; the score ranks trials (the best value when known)."""
    summary = summary or {}
    final, best = summary.get(metric), summary.get(f"best_{metric}")
    value = best if isinstance(best, (int, float)) else final
    return final, best, value if isinstance(value, (int, float)) and math.isfinite(value) else None


def rank(trials: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """Best first: lowest loss or highest accuracy; trials with no score yet go last, in order."""
    sign = -1 if metric == "val_acc" else 1
    return sorted(trials, key=lambda t: (t["score"] is None, sign * (t["score"] or 0), t["index"]))


def axes(space: dict[str, Dimension], trials: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """Plotly parcoords dimensions for the scored trials; log-uniform axes plot log10 with readable ticks."""
    scored = [t for t in trials if t["score"] is not None]
    dims = []
    for path, dim in space.items():
        values = [t["values"][path] for t in scored]
        label = path.removeprefix("optimizer.params.").removeprefix("train.").removeprefix("model.params.")
        if dim.kind == "log_uniform":
            low, high = dim.log_uniform
            ticks = list(range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1))
            dims.append({"label": f"{label} (log)", "values": [math.log10(v) for v in values],
                         "range": [math.log10(low), math.log10(high)], "tickvals": ticks,
                         "ticktext": [f"1e{t}" for t in ticks]})
        elif dim.kind == "choice":
            names = [_text(c) for c in dim.choice]
            dims.append({"label": label, "values": [names.index(_text(v)) for v in values],
                         "range": [0, max(1, len(names) - 1)], "tickvals": list(range(len(names))), "ticktext": names})
        else:
            low, high = getattr(dim, dim.kind)
            dims.append({"label": label, "values": values, "range": [low, high]})
    dims.append({"label": metric, "values": [t["score"] for t in scored]})
    return dims


def _text(value: Any) -> str:
    return str(value) if not isinstance(value, str) else value
