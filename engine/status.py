"""Every status a run can have: the one list the store, the API, the catalog and the pages read."""

from __future__ import annotations

import enum


class RunStatus(enum.StrEnum):
    """A run starts queued, trains (running, paused) and ends in one of the terminal statuses."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    PRUNED = "pruned"
    # everything below and every page derives from this list

    @property
    def terminal(self) -> bool:
        return self not in ACTIVE

    @property
    def ended_early(self) -> bool:
        """Ended before its last step for a reason worth showing (the run's `error`)."""
        return self in (RunStatus.STOPPED, RunStatus.DIVERGED, RunStatus.FAILED, RunStatus.INTERRUPTED,
                        RunStatus.PRUNED)

    @property
    def fault(self) -> bool:
        """Something went wrong (shown as an error); a person's own stop or a pruner's is news, not a fault."""
        return self in (RunStatus.DIVERGED, RunStatus.FAILED)


ACTIVE: tuple[RunStatus, ...] = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.PAUSED)
TERMINAL: tuple[RunStatus, ...] = tuple(s for s in RunStatus if s not in ACTIVE)

MEANINGS = {
    RunStatus.QUEUED: "waiting for a worker",
    RunStatus.RUNNING: "training",
    RunStatus.PAUSED: "holding its place; resume or step it",
    RunStatus.COMPLETED: "trained every step it was given (or stopped early by early stopping)",
    RunStatus.STOPPED: "stopped by a person or a limit before its last step",
    RunStatus.DIVERGED: "its loss became non-finite",
    RunStatus.FAILED: "an error ended it (the message says which)",
    RunStatus.INTERRUPTED: "the server stopped while it was active; continue it from a checkpoint",
    RunStatus.PRUNED: "a sweep's pruner stopped this trial early: its validation fell behind (the message says the "
                      "step and why)",
}


def describe() -> list[dict[str, object]]:
    """The statuses as /api/catalog serves them, in the order a run passes through them."""
    return [{"name": s.value, "terminal": s.terminal, "ended_early": s.ended_early, "fault": s.fault,
             "description": MEANINGS[s]} for s in RunStatus]
