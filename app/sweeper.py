"""The sweeper: drives every running sweep's Optuna study. It asks for trials while the executor has room,
submits each as an ordinary run through the run service, reports the runs' validation points to the study,
stops the trials its pruner gives up on (their runs end `pruned`, with the step and the reason), and tells the
study how every trial ended.

One thread does the work, fed by the run recorder's events; a lock keeps Optuna to one thread at a time (the
first trials of a new sweep are asked in the request that made it). After a restart the running sweeps are
read back from the database: a trial the restart cut off is failed in the study and asked again with the same
values, so the sweep continues where it was.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

import optuna
from fastapi import HTTPException
from optuna.trial import TrialState

from app import study
from app.executor import EventBatch
from app.runs import RunManager
from app.service import RunService
from app.store import UNAVAILABLE, SweepRow
from app.sweeps import Dimension
from app.work import NewRun
from app.work.sweep import Trials, trial_plan
from engine.config import explicit
from engine.status import ACTIVE, RunStatus

log = logging.getLogger(__name__)
RETRY_S = 2.0  # how soon trials the queue refused are submitted again


@dataclass
class Live:
    """A running sweep, as the sweeper holds it."""

    row: SweepRow
    study: optuna.Study
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
            with self.lock:
                for run_id, kind, payload in batch:
                    try:
                        self._on_event(run_id, kind, payload)
                    except Exception:
                        log.exception("sweeper: %s event of run %s", kind, run_id)
                for live in list(self.live.values()):
                    try:
                        self._top_up(live)
                    except Exception:
                        log.exception("sweeper: topping up sweep %s", live.row.id)

    def _on_event(self, run_id: str, kind: str, payload: dict[str, Any]) -> None:
        flight = self.flights.get(run_id)
        if flight is None:
            return
        live = flight.live
        if kind == "metrics":
            value, step = payload["values"].get(live.row.metric), payload["step"]
            if flight.pruned or step <= 0 or not isinstance(value, (int, float)) or not math.isfinite(value):
                return  # step 0 is the untrained model: every trial starts alike there
            flight.trial.report(value, step)
            flight.last = value
            if flight.trial.should_prune():
                flight.pruned = True
                reason = study.reason(live.search["pruner"], step, live.row.metric, value)
                self.manager.end_as(run_id, RunStatus.PRUNED, reason)
                self.service.executor.control(run_id, "stop")
                live.study.tell(flight.trial, state=TrialState.PRUNED)
        elif kind == "done":
            del self.flights[run_id]
            live.flying.discard(run_id)
            if not flight.pruned:
                self._tell(flight, payload)

    def _tell(self, flight: Flight, done: dict[str, Any]) -> None:
        status = done["status"]
        if status == RunStatus.COMPLETED:
            value = study.objective(done.get("summary"), flight.live.row.metric, flight.last)
            if value is not None:
                flight.live.study.tell(flight.trial, value)
                return
        # a diverged trial is a poor one (the samplers learn from it); a failed or stopped one says nothing
        state = TrialState.PRUNED if status == RunStatus.DIVERGED else TrialState.FAIL
        flight.live.study.tell(flight.trial, state=state)

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
                live.study.tell(trial, state=TrialState.FAIL)
                entries.append({"run_id": None, "values": values, "number": trial.number,
                                "error": "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)})
                continue
            name = f"{live.row.name or 'sweep'} · trial {trial.number}"[:200]
            run = NewRun(explicit(plan).model_copy(update={"name": name}), plan.total_steps)
            trial.set_user_attr("run_id", run.id)
            runs.append(run)
            flights[run.id] = Flight(live, trial)
            entries.append({"run_id": run.id, "values": values, "number": trial.number})
            room -= 1
        if runs:
            self.flights.update(flights)  # before the runs exist: their first events must find them
            live.flying.update(flights)
            try:
                self.service.submit(Trials(runs))
            except (HTTPException, *UNAVAILABLE) as exc:
                log.warning("sweep %s: %d trials wait for room (%s)", live.row.id, len(runs), exc)
                for run_id, flight in flights.items():
                    del self.flights[run_id]
                    live.flying.discard(run_id)
                    self._ask_again(live, flight.trial)
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

    def _ask_again(self, live: Live, trial: optuna.Trial | optuna.trial.FrozenTrial) -> None:
        """Fail a trial that never trained to its end through no fault of its own, and queue its values again
        (the next ask takes them); it no longer counts against the plan."""
        live.study.tell(trial.number, state=TrialState.FAIL)
        live.study.enqueue_trial(trial.params, skip_if_exists=False)
        live.asked -= 1

    def _open(self, row: SweepRow) -> Live:
        search = row.search
        dims = {p: Dimension.model_validate(d) for p, d in row.space.items()}
        # after a restart the sampler's seed moves on by the trials already drawn, so a seeded sampler does not
        # draw the same values again
        sampler = study.SAMPLERS[search["sampler"]].build(dims, row.seed + len(row.trials), search["planned"])
        pruner = study.PRUNERS[search["pruner"]].build(search["steps"], search["explicit"]["train"]["eval_every"])
        opened = optuna.create_study(
            study_name=study_name(row.id), storage=study.storage(self.service.settings.database_url), sampler=sampler,
            pruner=pruner, direction=study.direction(row.metric), load_if_exists=True)
        counted = sum(1 for t in row.trials if not t.get("retried"))
        live = self.live[row.id] = Live(row, opened, dims, counted)
        return live

    def _resume(self, row: SweepRow) -> None:
        """A sweep the server was running when it stopped: settle the trials left running, then go on."""
        live = self._open(row)
        cut_off = set()
        for trial in live.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            run = self.store.get_run(trial.user_attrs.get("run_id", ""))
            flight = Flight(live, trial, last=_last(trial))
            if run is not None and run.status not in (RunStatus.INTERRUPTED, *ACTIVE):
                self._tell(flight, {"status": run.status, "summary": run.summary})  # it ended; the study missed it
            else:
                self._ask_again(live, trial)
                cut_off.add(trial.number)
        if cut_off:
            self.store.mark_retried(row.id, cut_off)
            live.row.trials = [{**t, "retried": True} if t.get("number") in cut_off else t for t in live.row.trials]
        log.info("sweep %s resumed: %d of %d trials counted, %d asked again", row.id, live.asked,
                 row.search["planned"], len(cut_off))
        self._top_up(live)


def _last(trial: optuna.trial.FrozenTrial) -> float | None:
    return trial.intermediate_values[max(trial.intermediate_values)] if trial.intermediate_values else None
