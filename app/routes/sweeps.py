"""Sweeps: POST /api/sweeps starts an Optuna study over a base config (checked in app/work/sweep.py, driven by
app/sweeper.py); GET ranks its trials; GET .../figures draws Optuna's own charts; the pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from app import study, sweep_study
from app.deps import ServiceDep, SettingsDep, StoreDep, SweeperDep
from app.links import encode_config, state_from_link
from app.listing import public
from app.openapi import BUSY
from app.sweeper import study_name
from app.sweeps import Dimension, axes, rank, score
from app.templating import render
from app.work.sweep import SweepCreate
from engine.status import ACTIVE

if TYPE_CHECKING:
    from app.store import SweepRow

router = APIRouter(tags=["sweeps"])


class SweepCreated(BaseModel):
    id: str
    run_ids: list[str]


@router.post("/api/sweeps", status_code=201, responses=BUSY)
def create_sweep(body: SweepCreate, service: ServiceDep, sweeper: SweeperDep) -> SweepCreated:
    """201 with the runs of the first trials (as many as the executor runs at once); the others follow as
    trials end, each drawn knowing how the earlier ones did."""
    sweep = service.submit(body).record
    return SweepCreated(id=sweep.id, run_ids=sweeper.begin(sweep))


def results(sweep: SweepRow, store) -> dict[str, Any]:
    """The trials ranked best first, with their drawn values, status and metric, and the best config."""
    trials = []
    for index, trial in enumerate(sweep.trials):
        row = store.get_run(trial["run_id"]) if trial["run_id"] else None
        run = public(row) if row is not None else {"status": "failed" if trial.get("error") else "deleted",
                                                   "progress": 0, "summary": None, "error": trial.get("error")}
        final, best, value = score(run["summary"], sweep.metric)
        trials.append({"index": index, "number": trial.get("number", index), "run_id": trial["run_id"],
                       "values": trial["values"], "status": run["status"], "progress": run["progress"],
                       "final": final, "best": best, "score": value, "error": run["error"],
                       "counted": not trial.get("retried"), "config": run.get("config")})
    trials = rank(trials, sweep.metric)
    top = trials[0] if trials and trials[0]["score"] is not None else None
    search = sweep.search or {"sampler": "random", "pruner": "none", "planned": len(sweep.trials), "state": "done"}
    return {
        "id": sweep.id, "name": sweep.name, "metric": sweep.metric, "seed": sweep.seed, "space": sweep.space,
        "sampler": search["sampler"], "pruner": search["pruner"], "planned": search["planned"],
        "created": sweep.created.isoformat() + "Z",
        "active": search["state"] == "running" or any(t["status"] in ACTIVE for t in trials),
        "trials": [{k: v for k, v in t.items() if k != "config"} for t in trials],
        "best": top and {"index": top["index"], "run_id": top["run_id"], "values": top["values"],
                         "score": top["score"], "config": top["config"]},
    }


@router.get("/api/sweeps")
def list_sweeps(store: StoreDep, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> list[dict[str, Any]]:
    """Sweeps newest first: id, name, metric, the space's paths, trials planned and drawn, and whether it runs."""
    return [row.listed() for row in store.list_sweeps(limit, offset)]


@router.get("/sweeps", response_class=HTMLResponse, include_in_schema=False)
def sweeps_page(request: Request, store: StoreDep):
    return render(request, "groups.html", {"active": "sweeps", "title": "Sweeps", "kind": "sweep",
                                           "rows": [row.listed() for row in store.list_sweeps(500)]})


def _sweep(store, sweep_id: str) -> SweepRow:
    sweep = store.get_sweep(sweep_id)
    if sweep is None:
        raise HTTPException(404, f"no sweep with id '{sweep_id}'")
    return sweep


@router.get("/api/sweeps/{sweep_id}")
def get_sweep(sweep_id: str, store: StoreDep) -> dict[str, Any]:
    return results(_sweep(store, sweep_id), store)


@router.get("/api/sweeps/{sweep_id}/figures")
def get_figures(sweep_id: str, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    """Optuna's optimization history and hyper-parameter importances as Plotly figures (data and layout); an
    importance that cannot be computed yet is null, with the reason."""
    sweep = _sweep(store, sweep_id)
    if sweep.search is None:
        raise HTTPException(404, f"sweep '{sweep_id}' is from before sweeps were Optuna studies; it has no study")
    return sweep_study.figures(study_name(sweep.id), settings.database_url, sweep.metric)


# what the new-sweep form starts with: the notes' first knob, the learning rate, over three decades
DEFAULT_SPACE = [  # (path, kind, values, and the hints an empty row shows)
    ("optimizer.params.lr", "log_uniform", "1e-4, 1e-1", "", ""),
    ("", "uniform", "", "optimizer.params.betas.0", "0.8, 0.99"),
    ("", "choice", "", "train.batch_size", "16, 32, 64"),
    ("", "choice", "", "schedule.name", "constant, cosine"),
]


@router.get("/sweeps/new", response_class=HTMLResponse, include_in_schema=False)
def new_sweep_page(request: Request, config: str | None = None):
    base, problem = state_from_link(config)
    return render(request, "sweep.html", {"base": base, "problem": problem, "rows": DEFAULT_SPACE,
                                          "builder": encode_config(base), "sweep": None,
                                          "samplers": study.SAMPLERS, "pruners": study.PRUNERS})


@router.get("/sweeps/{sweep_id}", response_class=HTMLResponse, include_in_schema=False)
def sweep_page(request: Request, sweep_id: str, store: StoreDep, fragment: str | None = None):
    sweep = _sweep(store, sweep_id)
    data = results(sweep, store)
    space = {p: Dimension.model_validate(d) for p, d in sweep.space.items()}
    context = {"sweep": data, "paths": list(space), "axes": axes(space, data["trials"], sweep.metric),
               "best_link": encode_config(data["best"]["config"]) if data["best"] else None}
    return render(request, "sweep.html", context, block="results" if fragment == "results" else None)
