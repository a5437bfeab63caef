"""The executor contract: what runs jobs outside the web process, and the typed jobs it runs.

`WorkerPool` (app/executor/pool.py) is the local implementation; a cluster executor implements the same
protocol and passes the same tests (tests/app/test_executor_contract.py, one fixture param per executor).

The run service (app/service.py) is the only caller of `submit`: it has already validated every job and
applied the limits (queue length, steps, parameters; `max_seconds` travels on the job), so an executor
accepts whatever it is given.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

# (run_id, kind, payload) as the engine's events.wire() makes them; kind is metrics, probe, status or done
EventBatch = list[tuple[str, str, dict[str, Any]]]
OnEvents = Callable[[EventBatch], None]
OnReleased = Callable[[list[str]], None]
ACTIONS = ("pause", "resume", "step", "stop")


def deliver(on_events: OnEvents, batch: EventBatch) -> None:
    """Hand a batch to the receiver; a receiver that fails is logged, and the executor's reader goes on."""
    if batch:
        try:
            on_events(batch)
        except Exception:
            logging.getLogger(__name__).exception("event handler failed")


def ending(run_ids: list[str], status: str, message: str) -> EventBatch:
    """The last two events (status, then done) of runs that end without their job saying so."""
    return [event for rid in run_ids for event in (
        (rid, "status", {"status": status, "message": message}), (rid, "done", {"status": status, "summary": {}}))]


@dataclass(frozen=True, kw_only=True)
class Job:
    """One unit of work for one worker; each of its runs gets its own event stream."""

    kind: ClassVar[str]
    max_seconds: float | None = None  # wall time after which the job is told to stop (reason in its status)

    @property
    def run_ids(self) -> list[str]:
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        """What a worker needs, as plain JSON-able data (it crosses a process or a network)."""
        return {"kind": self.kind, **dataclasses.asdict(self)}


@dataclass(frozen=True, kw_only=True)
class TrainJob(Job):
    """A run: train one RunConfig (its start_from checkpoint, if any, already resolved to a step)."""

    kind: ClassVar[str] = "train"
    run_id: str
    config: dict[str, Any]

    @property
    def run_ids(self) -> list[str]:
        return [self.run_id]


@dataclass(frozen=True, kw_only=True)
class RaceJob(Job):
    """Several configs trained side by side in one worker (same data, initial weights and batch order)."""

    kind: ClassVar[str] = "race"
    member_ids: tuple[str, ...]
    configs: tuple[dict[str, Any], ...]

    @property
    def run_ids(self) -> list[str]:
        return list(self.member_ids)


@dataclass(frozen=True, kw_only=True)
class LandscapeJob(Job):
    """The loss landscape around a checkpoint of `parent` (engine.lab.landscape.run_job)."""

    kind: ClassVar[str] = "landscape"
    run_id: str
    config: dict[str, Any]  # the parent's config
    parent: str
    step: int
    landscape: dict[str, Any]  # {kind, n, span, samples, seed}

    @property
    def run_ids(self) -> list[str]:
        return [self.run_id]


class Executor(Protocol):
    """Runs jobs outside the web process and reports what happens through two callbacks.

    Events. `on_events(batch)` receives every event a job emits, tagged with its run id. For one run they
    arrive in the order the job emitted them, starting with a `status` (running). Every run ends with a
    `done` event carrying its terminal status, whatever ends it: the job itself (completed, diverged,
    stopped), an error in the job (failed), the death of the process or machine that ran it (failed), or a
    stop while still queued (stopped). A run that ends early gets a `status` event with the reason right
    before its `done` ("the worker process died ...", "stopped before it started", the wall-time limit).
    A late event after a run's `done` (a dead worker's last words) may still arrive; receivers ignore it.
    The callback may be called from any of the executor's threads (and from `control`'s caller): it must
    be thread-safe.

    Release. `on_released(run_ids)` is called once per job when the executor no longer holds it, after
    every event of the job has been handed to `on_events`. A run released without its `done` is one the
    executor lost: the receiver ends it (app/runs.py marks it failed), so no run is left `running`.
    """

    size: int  # jobs run at once; more wait in a first-in first-out queue

    def start(self) -> None:
        """Begin: returns at once; workers come up in the background (see wait_ready)."""

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """True once every worker can take a job; False if `timeout` seconds pass first."""

    def submit(self, job: Job) -> None:
        """Queue a job; it starts when a worker is free, in submission order. Never blocks on training."""

    def control(self, run_id: str, action: str) -> bool:
        """Apply pause, resume, step (one step, then pause) or stop to the job holding `run_id`.

        True when the executor holds the run, queued or running, and took the action; False when it does not
        (unknown, finished, released). An unknown action raises ValueError. The members of a race share one
        job: an action on any member acts on all of them. On a queued job, stop removes it from the queue and
        emits stopped + done for each of its runs, then releases it; pause and step make it start paused (with
        the steps asked for); resume undoes that.
        """

    def steer(self, run_id: str, values: dict[str, float]) -> bool:
        """Hand checked steering values (engine/steering.py) to the job training `run_id`; they apply before its
        next step. False when no worker trains the run (queued, ended); ValueError when the run cannot be steered
        alone (a race member: its members share one job) or this executor cannot steer."""

    def queued(self) -> int:
        """Runs waiting for a worker (a race counts each member): what the queue limit is checked against."""

    def busy(self) -> int:
        """Jobs being run now."""

    def starting(self) -> bool:
        """True until the executor can take a job at once: /healthz and the builder say "starting" meanwhile
        (a run submitted then waits in the queue)."""

    def shutdown(self) -> None:
        """Stop: running jobs are told to stop and their workers end (killed after a grace period); queued
        jobs are dropped without events. Runs left active in the store are marked interrupted at the next
        start-up (with a status and a done event in their history)."""
