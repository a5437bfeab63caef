"""Random search: POST /api/sweeps samples trials over a base config (app/work/sweep.py); GET ranks them; pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from app.deps import ServiceDep, StoreDep
from app.links import encode_config, state_from_link
from app.openapi import BUSY
from app.store import ACTIVE, SweepRow, public
from app.sweeps import Dimension, axes, rank, score
from app.templating import render
from app.work.sweep import SweepCreate

router = APIRouter(tags=["sweeps"])


class SweepCreated(BaseModel):
    id: str
    run_ids: list[str]


@router.post("/api/sweeps", status_code=201, responses=BUSY)
def create_sweep(body: SweepCreate, service: ServiceDep) -> SweepCreated:
    sweep = service.submit(body).record
    return SweepCreated(id=sweep.id, run_ids=[t["run_id"] for t in sweep.trials])


def results(sweep: SweepRow, store) -> dict[str, Any]:
    """The trials ranked best first, with their drawn values, status and metric, and the best config."""
    trials = []
    for index, trial in enumerate(sweep.trials):
        row = store.get_run(trial["run_id"])
        run = public(row) if row is not None else {"status": "deleted", "progress": 0, "summary": None, "error": None}
        final, best, value = score(run["summary"], sweep.metric)
        trials.append({"index": index, "run_id": trial["run_id"], "values": trial["values"], "status": run["status"],
                       "progress": run["progress"], "final": final, "best": best, "score": value,
                       "error": run["error"], "config": run.get("config")})
    trials = rank(trials, sweep.metric)
    top = trials[0] if trials and trials[0]["score"] is not None else None
    return {
        "id": sweep.id, "name": sweep.name, "metric": sweep.metric, "seed": sweep.seed, "space": sweep.space,
        "created": sweep.created.isoformat() + "Z", "active": any(t["status"] in ACTIVE for t in trials),
        "trials": [{k: v for k, v in t.items() if k != "config"} for t in trials],
        "best": top and {"index": top["index"], "run_id": top["run_id"], "values": top["values"],
                         "score": top["score"], "config": top["config"]},
    }


def _sweep(store, sweep_id: str) -> SweepRow:
    sweep = store.get_sweep(sweep_id)
    if sweep is None:
        raise HTTPException(404, f"no sweep with id '{sweep_id}'")
    return sweep


@router.get("/api/sweeps/{sweep_id}")
def get_sweep(sweep_id: str, store: StoreDep) -> dict[str, Any]:
    return results(_sweep(store, sweep_id), store)


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
                                          "builder": encode_config(base), "sweep": None})


@router.get("/sweeps/{sweep_id}", response_class=HTMLResponse, include_in_schema=False)
def sweep_page(request: Request, sweep_id: str, store: StoreDep, fragment: str | None = None):
    sweep = _sweep(store, sweep_id)
    data = results(sweep, store)
    space = {p: Dimension.model_validate(d) for p, d in sweep.space.items()}
    context = {"sweep": data, "paths": list(space), "axes": axes(space, data["trials"], sweep.metric),
               "best_link": encode_config(data["best"]["config"]) if data["best"] else None}
    return render(request, "sweep.html", context, block="results" if fragment == "results" else None)
