"""A run's history as columns: appended as events arrive (no JSON parsing), viewed downsampled per series."""

from __future__ import annotations

import json
from typing import Any

from app.downsample import minmax_indices
from engine.lazy import numpy as np

DEFAULT_POINTS = 2000


class History:
    def __init__(self) -> None:
        self.columns: dict[str, dict[str, list]] = {}  # metric -> step, epoch, time, value
        self.probes: dict[str, dict[str, Any]] = {}
        self.steers: list[dict[str, Any]] = []  # settings changed mid-flight: a marker on every chart
        self.last_seq = 0
        self.points = 0

    def add(self, seq: int, kind: str, payload: dict[str, Any]) -> None:
        self.last_seq = seq
        if kind == "metrics":
            self.points += 1
            for name, value in payload["values"].items():
                column = self.columns.setdefault(name, {"step": [], "epoch": [], "time": [], "value": []})
                column["step"].append(payload["step"])
                column["epoch"].append(payload["epoch"])
                column["time"].append(payload["time"])
                column["value"].append(value)
        elif kind == "steer":
            self.steers.append(payload)
        elif kind == "probe":
            # fields sent once (the data set's points) stay under the later readings
            earlier = self.probes.get(payload["name"], {}).get("data", {})
            self.probes[payload["name"]] = {**payload, "data": {**earlier, **payload["data"]}}

    @classmethod
    def from_events(cls, events) -> History:
        history = cls()
        for event in events:
            history.add(event.seq, event.kind, json.loads(event.data))
        return history

    def view(self, max_points: int = DEFAULT_POINTS) -> dict[str, Any]:
        series = {}
        for name, column in self.columns.items():
            values = np.array([np.nan if v is None else v for v in column["value"]], dtype=np.float64)
            keep = minmax_indices(values, max_points)
            series[name] = {key: [column[key][i] for i in keep] for key in ("step", "epoch", "time", "value")}
        return {"last_event_id": self.last_seq, "points": self.points, "series": series, "probes": self.probes,
                "steers": self.steers}


def thin(view: dict[str, Any], max_points: int) -> dict[str, Any]:
    """A stored view brought down to fewer points with the same rule (its extremes and last points stay)."""
    series = {}
    for name, column in view["series"].items():
        values = np.array([np.nan if v is None else v for v in column["value"]], dtype=np.float64)
        keep = minmax_indices(values, max_points)
        series[name] = {key: [column[key][i] for i in keep] for key in column}
    return {**view, "series": series}
