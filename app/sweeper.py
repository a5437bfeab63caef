"""The sweeper: drives every running sweep's Optuna study. It asks for trials while the executor has room,
submits each as an ordinary run through the run service, reports the runs' validation points to the study,
stops the trials its pruner gives up on (their runs end `pruned`, with the step and the reason), and tells the
study how every trial ended.

One thread does the work, fed by the run recorder's events; a lock keeps Optuna to one thread at a time (the
first trials of a new sweep are asked in the request that made it). Decisions are made on an in-memory copy of
each study, written through to Optuna's RDB storage (app/sweep_study.py). After a restart the running sweeps
are read back from the database: a trial the restart cut off is failed in the study and asked again with the
same values, so the sweep continues where it was.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException

from app import study
from app.executor import EventBatch
from app.runs import RunManager
from app.service import RunService
from app.study import optuna  # named lazily there: loaded by the first sweep
from app.sweep_study import SweepStudy, Writer
from app.sweeps import Dimension
from app.work import NewRun
from app.work.sweep import Trials, trial_plan
from engine.config import explicit
from engine.lazy import lazy
from engine.status import RunStatus

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial, TrialState

    from app.store import SweepRow


db = lazy("app.store")  # SQLAlchemy: loaded with the database, after the server first answers (app/backend.py)
log = logging.getLogger(__name__)
RETRY_S = 2.0  # how soon trials the queue refused are submitted again


@dataclass
class Live:
    """A running sweep, as the sweeper holds it."""

    row: SweepRow
    study: SweepStudy
    dims: dict[str, Dimension]
    asked: int  # trials that count against the plan (those a restart cut off are asked again and not counted)
    flying: set[str] = field(default_factory=set)  # run ids of its trials not yet ended

    @property
    def search(self) -> dict[str, Any]:
        return self.row.search


@dataclass
class Flight:
    """A trial whose run has not ended."""

    live: Live
    trial: optuna.Trial
    last: float | None = None  # the last value reported
    pruned: bool = False


def study_name(sweep_id: str) -> str:
    return f"descent-sweep-{sweep_id}"


class Sweeper:
    def __init__(self, service: RunService, manager: RunManager):
        self.service, self.store = service, service.store
        self.manager = manager
        self.live: dict[str, Live] = {}
        self.flights: dict[str, Flight] = {}  # by run id
        self.lock = threading.RLock()
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.writer = Writer()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="sweeper")
        manager.listeners.append(self.on_events)

    def start(self) -> None:
        with self.lock:
            for row in self.store.active_sweeps():
                try:
                    self._resume(row)
                except Exception:
                    log.exception("could not resume sweep %s", row.id)
        self.thread.start()

    def stop(self) -> None:
        """Before the executor stops: what the shutdown does to the trials' runs is not told to the studies."""
        self.stopping.set()
        self.inbox.put(None)
        self.thread.join(timeout=5)
        self.writer.close()

    def begin(self, row: SweepRow) -> list[str]:
        """A sweep just stored: its study, and its first trials (the run ids), as many as the executor runs."""
        with self.lock:
            live = self._open(row)
            return self._top_up(live)

    # -- events ----------------------------------------------------------------------------
    def on_events(self, batch: EventBatch) -> None:
        """The recorder's thread: keep what concerns trials for the sweeper's own thread (Optuna writes to the
        database; the recorder must not wait for it)."""
        mine = [e for e in batch if e[0] in self.flights and e[1] in ("metrics", "done")]
        if mine:
            self.inbox.put(mine)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                batch = self.inbox.get(timeout=RETRY_S)
            except queue.Empty:
                batch = []
            if batch is None:
                return
            with self.lock:  # (a trial's run is stored under this lock: _deleted never sees one not yet stored)
                for run_id, kind, payload in batch or self._deleted():
                    try:
                        self._on_event(run_id, kind, payload)
                    except Exception:
                        log.exception("sweeper: %s event of run %s", kind, run_id)
                for live in list(self.live.values()):
                    try:
                        self._top_up(live)
                    except Exception:
                        log.exception("sweeper: topping up sweep %s", live.row.id)

    def _deleted(self) -> EventBatch:
        """A trial's run deleted while it trained sends no `done`: one is made up for it (the trial fails)."""
        gone = [run_id for run_id in list(self.flights) if self.store.get_run(run_id) is None]
        return [(run_id, "done", {"status": RunStatus.FAILED, "summary": {}}) for run_id in gone]

    def _on_event(self, run_id: str, kind: str, payload: dict[str, Any]) -> None:
        flight = self.flights.get(run_id)
        if flight is None:
            return
        live = flight.live
        if kind == "metrics":
            value, step = payload["values"].get(live.row.metric), payload["step"]
            if flight.pruned or step <= 0 or not isinstance(value, (int, float)) or not math.isfinite(value):
                return  # step 0 is the untrained model: every trial starts alike there
            live.study.report(flight.trial, value, step)
            flight.last = value
            if live.study.should_prune(flight.trial):
                flight.pruned = True
                reason = study.reason(live.search["pruner"], step, live.row.metric, value)
                self.manager.end_as(run_id, RunStatus.PRUNED, reason)
                self.service.executor.control(run_id, "stop")
        elif kind == "done":  # a pruned trial is told so here: one that reached its last step first completed
            del self.flights[run_id]
            live.flying.discard(run_id)
            self._tell(flight, payload)

    def _tell(self, flight: Flight, done: dict[str, Any]) -> None:
        state, value = outcome(done["status"], done.get("summary"), flight.live.row.metric, flight.last)
        flight.live.study.tell(flight.trial, value, state=state)

    # -- trials ----------------------------------------------------------------------------
    def _top_up(self, live: Live) -> list[str]:
        """Ask for trials while the sweep has some left and the executor has room; submit them as runs."""
        room = self.service.executor.size - len(live.flying)
        search, runs, entries, flights = live.search, [], [], {}
        while live.asked < search["planned"] and room > 0:
            trial = live.study.ask({p: study.distribution(d) for p, d in live.dims.items()})
            values = {p: study.decode(d, trial.params[p]) for p, d in live.dims.items()}
            live.asked += 1
            plan, errors = trial_plan(search["explicit"], live.row.base, values, search["pruner"], self.service)
            if plan is None:  # the request's check draws a sample; a rare draw outside it may still fail
                live.study.tell(trial, state=optuna.trial.TrialState.FAIL)
                entries.append({"run_id": None, "values": values, "number": trial.number,
                                "error": "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)})
                continue
            name = f"{live.row.name or 'sweep'} · trial {trial.number}"[:200]
            run = NewRun(explicit(plan).model_copy(update={"name": name}), plan.total_steps)
            live.study.set_user_attr(trial, "run_id", run.id)
            runs.append(run)
            flights[run.id] = Flight(live, trial)
            entries.append({"run_id": run.id, "values": values, "number": trial.number})
            room -= 1
        if runs:
            self.flights.update(flights)  # before the runs exist: their first events must find them
            live.flying.update(flights)
            try:
                self.service.submit(Trials(runs))
            except (HTTPException, *db.UNAVAILABLE) as exc:
                log.warning("sweep %s: %d trials wait for room (%s)", live.row.id, len(runs), exc)
                for run_id, flight in flights.items():
                    del self.flights[run_id]
                    live.flying.discard(run_id)
                    live.study.ask_again(flight.trial)
                    live.asked -= 1
                entries = [e for e in entries if e["run_id"] not in flights]
                runs = []
        if entries:
            self.store.edit_sweep(live.row.id, trials=entries)
            live.row.trials = [*live.row.trials, *entries]
        if live.asked >= search["planned"] and not live.flying:
            self.store.edit_sweep(live.row.id, state="done")
            live.row.search = {**search, "state": "done"}
            del self.live[live.row.id]
        return [run.id for run in runs]

    def _open(self, row: SweepRow) -> Live:
        search = row.search
        dims = {p: Dimension.model_validate(d) for p, d in row.space.items()}
        # after a restart the sampler's seed moves on by the trials already drawn, so a seeded sampler does not
        # draw the same values again
        sampler = study.SAMPLERS[search["sampler"]].build(dims, row.seed + len(row.trials), search["planned"])
        pruner = study.PRUNERS[search["pruner"]].build(search["steps"], search["explicit"]["train"]["eval_every"])
        opened = SweepStudy(study_name(row.id), self.service.settings.database_url, sampler, pruner,
                            study.direction(row.metric), self.writer)
        counted = sum(1 for t in row.trials if not t.get("retried"))
        live = self.live[row.id] = Live(row, opened, dims, counted)
        return live

    def _resume(self, row: SweepRow) -> None:
        """A sweep the server was running when it stopped: settle the trials left running, then go on."""
        live = self._open(row)

        def settle(trial: FrozenTrial) -> tuple[TrialState, float | None] | None:
            # the sweeper stops before the executor, so a run that ended after it (stopped or failed by the
            # shutdown, interrupted, never stored) was cut off: asked again; one that ended on its own is told
            run = self.store.get_run(trial.user_attrs.get("run_id", ""))
            if run is None or run.status not in (RunStatus.COMPLETED, RunStatus.DIVERGED, RunStatus.PRUNED):
                return None
            last = trial.intermediate_values[max(trial.intermediate_values)] if trial.intermediate_values else None
            return outcome(run.status, run.summary, row.metric, last)  # it ended; the study had not heard

        cut_off = {trial.number for trial in live.study.restore(settle)}
        if cut_off:
            self.store.mark_retried(row.id, cut_off)
            live.row.trials = [{**t, "retried": True} if t.get("number") in cut_off else t for t in live.row.trials]
            live.asked = sum(1 for t in live.row.trials if not t.get("retried"))
        log.info("sweep %s resumed: %d of %d trials counted, %d asked again", row.id, live.asked,
                 row.search["planned"], len(cut_off))
        self._top_up(live)


def outcome(status: str, summary: dict[str, Any] | None, metric: str,
            last: float | None) -> tuple[TrialState, float | None]:
    """How a trial's run ended, for its study: a completed run's best value; a diverged (or pruned) one is a poor
    trial the samplers learn from; a failed or stopped one says nothing of its values."""
    if status == RunStatus.COMPLETED:
        value = study.objective(summary, metric, last)
        if value is not None:
            return optuna.trial.TrialState.COMPLETE, value
    if status in (RunStatus.DIVERGED, RunStatus.PRUNED):
        return optuna.trial.TrialState.PRUNED, None
    return optuna.trial.TrialState.FAIL, None
