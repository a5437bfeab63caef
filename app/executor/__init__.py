"""Runs jobs outside the web process. `WorkerPool` is the local implementation of this interface."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

# (run_id, kind, payload) as the engine's events.wire() makes them
EventBatch = list[tuple[str, str, dict[str, Any]]]
OnEvents = Callable[[EventBatch], None]


class Executor(Protocol):
    def start(self) -> None: ...
    def submit(self, run_id: str, config: dict[str, Any]) -> None: ...
    def control(self, run_id: str, action: str) -> bool: ...
    def shutdown(self) -> None: ...
