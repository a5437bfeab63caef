"""Where a sweep's Optuna study is kept: Optuna's RDB storage on the app's own database (its own tables,
studies, trials, ..., never in app.store's metadata, so the app's schema tools leave them alone), and an
in-memory copy that makes every decision (ask, report, prune, tell) at once, written through to the RDB study by
one background thread.

Why two: in SQLite a report costs 6-25 ms and a pruning verdict 20-30 ms (measured on this 2-core machine
under load), while a moons trial trains a step in 0.2-0.5 ms: read from the database, a verdict came 80-230
steps after the point it judged. The RDB copy is what a restart reads back (restore()), and what the sweep
page's charts are drawn from.
"""

from __future__ import annotations

import functools
import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.study import optuna  # named lazily there: loaded by the first sweep
from engine.lazy import lazy

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution
    from optuna.trial import FrozenTrial, TrialState

sqlalchemy = lazy("sqlalchemy")  # loaded with the database, after the server first answers (app/backend.py)
log = logging.getLogger(__name__)


@functools.cache
def storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's storage on the app's database (one per URL and process: it holds a connection pool). A SQLite file
    skips the fsync of each commit, as the app's own store does (WAL keeps the file whole; a crash may lose the
    last writes)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # a line per trial would drown the server's log
    if not url.startswith("sqlite"):
        return optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
    rdb = optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 30}})
    sqlalchemy.event.listen(rdb.engine, "connect", _sqlite_normal_sync)
    rdb.engine.dispose()  # the connections opened before the listener reconnect with it
    return rdb


def _sqlite_normal_sync(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()



class Writer:
    """One thread applying writes to Optuna's RDB storage in the order they were made."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, daemon=True, name="study-writer")
        self.thread.start()

    def put(self, write: Callable[[], None]) -> None:
        self.queue.put(write)

    def close(self, timeout: float = 10.0) -> None:
        """Every write made so far is in the database when this returns (or `timeout` passed)."""
        self.queue.put(None)
        self.thread.join(timeout)

    def drain(self) -> None:
        """Wait until the writes made so far are done (tests, and the figures of a sweep just ended)."""
        done = threading.Event()
        self.queue.put(done.set)
        done.wait(30)

    def _run(self) -> None:
        while (write := self.queue.get()) is not None:
            try:
                write()
            except Exception:
                log.exception("a write to an Optuna study failed; the in-memory copy goes on")


class SweepStudy:
    def __init__(self, name: str, url: str, sampler: optuna.samplers.BaseSampler,
                 pruner: optuna.pruners.BasePruner, direction: str, writer: Writer):
        self.storage = storage(url)
        self.durable = optuna.create_study(study_name=name, storage=self.storage, direction=direction,
                                           load_if_exists=True)
        self.study_id = self.storage.get_study_id_from_name(name)
        self.working = optuna.create_study(sampler=sampler, pruner=pruner, direction=direction)
        self.writer = writer
        self.ids: dict[int, int] = {}  # working trial number -> the RDB trial's id (filled in by the writer)

    # -- the working copy, mirrored ----------------------------------------------------------------
    def ask(self, distributions: dict[str, BaseDistribution]) -> optuna.Trial:
        trial = self.working.ask(distributions)
        frozen = self._frozen(trial.number)
        template = optuna.trial.create_trial(
            state=optuna.trial.TrialState.RUNNING, params=frozen.params, distributions=frozen.distributions,
            user_attrs=frozen.user_attrs, system_attrs=frozen.system_attrs)
        storage, study_id, number = self.storage, self.study_id, trial.number
        self.writer.put(lambda: self.ids.__setitem__(number, storage.create_new_trial(study_id, template)))
        return trial

    def set_user_attr(self, trial: optuna.Trial, key: str, value: Any) -> None:
        trial.set_user_attr(key, value)
        self._write(trial.number, lambda storage, tid: storage.set_trial_user_attr(tid, key, value))

    def report(self, trial: optuna.Trial, value: float, step: int) -> None:
        trial.report(value, step)
        self._write(trial.number, lambda storage, tid: storage.set_trial_intermediate_value(tid, step, value))

    def should_prune(self, trial: optuna.Trial) -> bool:
        return trial.should_prune()

    def tell(self, trial: optuna.Trial | int, value: float | None = None, state: TrialState | None = None) -> None:
        number = trial if isinstance(trial, int) else trial.number
        self.working.tell(number, value, state=state)
        frozen = self._frozen(number)

        def write(storage: optuna.storages.BaseStorage, tid: int) -> None:
            for key, attr in frozen.system_attrs.items():  # what the pruner and sampler noted (rungs, grid ids)
                storage.set_trial_system_attr(tid, key, attr)
            storage.set_trial_state_values(tid, frozen.state, frozen.values)

        self._write(number, write)

    def ask_again(self, trial: optuna.Trial) -> None:
        """A trial that never trained (a full queue refused it): fail it, and ask for its values again next."""
        self.set_user_attr(trial, "cut_off", True)
        self.tell(trial, state=optuna.trial.TrialState.FAIL)
        self.working.enqueue_trial(trial.params, user_attrs={"again_of": trial.number})

    def _write(self, number: int, write: Callable[[optuna.storages.BaseStorage, int], None]) -> None:
        self.writer.put(lambda: write(self.storage, self.ids[number]))

    def _frozen(self, number: int) -> FrozenTrial:
        return self.working.get_trials(deepcopy=False)[number]

    # -- a restart ---------------------------------------------------------------------------------
    def restore(self, settle: Callable[[FrozenTrial], tuple[TrialState, float | None] | None]) -> list[FrozenTrial]:
        """Rebuild the working copy from the RDB study. `settle` says how a trial the RDB still has running
        ended (state, value), or None when it was cut off: those are failed (the `cut_off` user attribute) and
        their values asked again, unless a later trial already is that (its `again_of`). Returns the cut off."""
        storage, cut, states = self.storage, [], optuna.trial.TrialState
        for trial in self.durable.get_trials(deepcopy=False, states=(states.RUNNING, states.WAITING)):
            ended, tid = settle(trial), storage.get_trial_id_from_study_id_trial_number(self.study_id, trial.number)
            if ended is None:
                storage.set_trial_user_attr(tid, "cut_off", True)
                storage.set_trial_state_values(tid, optuna.trial.TrialState.FAIL)
                cut.append(trial)
            else:
                storage.set_trial_state_values(tid, ended[0], None if ended[1] is None else [ended[1]])
        trials = self.durable.get_trials(deepcopy=False)
        self.working.add_trials(trials)
        self.ids = {t.number: storage.get_trial_id_from_study_id_trial_number(self.study_id, t.number)
                    for t in trials}
        asked_again = {t.user_attrs.get("again_of") for t in trials}
        for trial in trials:
            if trial.user_attrs.get("cut_off") and trial.number not in asked_again:
                self.working.enqueue_trial(trial.params, user_attrs={"again_of": trial.number})
        return cut


# -- Optuna's own charts -----------------------------------------------------------------------------------------
_FIGURES: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}  # importances refit a forest: once per finished trial


def figures(name: str, url: str, metric: str) -> dict[str, Any]:
    """The study's optimization history and hyper-parameter importances as Plotly data + layout (the page draws
    them with its own Plotly, offline); importances stay null, with the reason, until they can be computed."""
    loaded = optuna.load_study(study_name=name, storage=storage(url))
    finished = [t for t in loaded.get_trials(deepcopy=False) if t.state.is_finished()]
    cached = _FIGURES.get((url, name))
    if cached is not None and cached[0] == len(finished):
        return cached[1]
    answer = {"history": _plain(optuna.visualization.plot_optimization_history(loaded, target_name=metric)),
              "importances": None, "why": ""}
    if sum(t.state == optuna.trial.TrialState.COMPLETE for t in finished) < 2:
        answer["why"] = "importances need at least two trials that trained to their last step"
    else:
        try:
            answer["importances"] = _plain(optuna.visualization.plot_param_importances(loaded, target_name=metric))
        except (ValueError, RuntimeError) as exc:  # e.g. every completed trial drew the same values
            answer["why"] = f"importances could not be computed: {exc}"
    _FIGURES[(url, name)] = (len(finished), answer)
    return answer


def _plain(figure: Any) -> dict[str, Any]:
    """A figure as plain JSON, without plotly.py's template (the page's own look applies)."""
    plain = json.loads(figure.to_json())
    plain["layout"].pop("template", None)
    return {"data": plain["data"], "layout": plain["layout"]}
