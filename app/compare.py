"""What sets runs apart: each member of a comparison is labelled by the settings where it differs."""

from __future__ import annotations

from typing import Any


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else key))
        return out
    return {prefix: value}


def _short(path: str) -> str:
    # optimizer.params.lr -> optimizer.lr ; optimizer.name -> optimizer
    return path.replace(".params.", ".").removesuffix(".name")


def _varying(configs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Each config flattened, and the settings in which they do not all agree."""
    flat = [flatten({k: v for k, v in c.items() if k != "name"}) for c in configs]
    keys = sorted({k for f in flat for k in f}, key=lambda k: (not k.endswith(".name"), k))
    # a setting varies when the members that have it disagree (adam's betas do not vary against sgd)
    return flat, [k for k in keys if len({repr(f[k]) for f in flat if k in f}) > 1]


def differences(configs: list[dict[str, Any]]) -> list[str]:
    """One label per config listing the settings in which the configs do not all agree."""
    flat, varying = _varying(configs)
    return [", ".join(f"{_short(k)}={f[k]}" for k in varying if k in f) or "identical settings" for f in flat]


# a race whose members differ only in these settings gets the notes' lesson on them under its curves
LESSONS = {("train.batch_size",): "batch_size"}


def lesson(configs: list[dict[str, Any]]) -> str | None:
    """The name of the lesson (templates/partials/lessons/) that explains what these members differ in."""
    if len(configs) < 2:
        return None
    return LESSONS.get(tuple(_varying(configs)[1]))
