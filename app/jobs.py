"""Runs that are jobs about another run: a loss landscape of its checkpoint, an LR range test of its config. The runs
list shows them under the run they belong to rather than beside it; a job's kind is read from what made it (the
landscape's tags, the range test's schedule), so runs stored before this module are sorted the same way."""

from __future__ import annotations

from typing import Any, Literal

LANDSCAPE = "landscape"  # the tag of a landscape run; "landscape-of:<id>" names the run it maps
LR_RANGE = "lr_range"  # the schedule of an LR range test (engine/schedules/lr_range.py)
Kind = Literal["run", "landscape", "lr_range"]
KIND_NAMES = {"run": "runs", LANDSCAPE: "loss landscapes", LR_RANGE: "LR range tests"}


def landscape_of(run_id: str) -> str:
    return f"{LANDSCAPE}-of:{run_id}"


def kind_of(tags: list[str], config: dict[str, Any]) -> Kind:
    if LANDSCAPE in tags:
        return LANDSCAPE
    return LR_RANGE if (config.get("schedule") or {}).get("name") == LR_RANGE else "run"


def parent_of(tags: list[str], config: dict[str, Any]) -> str | None:
    """The run this one belongs to: the run a landscape maps, else the run whose checkpoint it starts from."""
    prefix = landscape_of("")
    mapped = next((t.removeprefix(prefix) for t in tags if t.startswith(prefix)), None)
    return mapped or (config.get("start_from") or {}).get("run")
