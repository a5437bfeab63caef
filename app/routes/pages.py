"""HTML pages: the builder, a run, the runs list; htmx asks for fragments of the same templates."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from app.deps import RunDep, StoreDep
from app.forms import fields_for
from app.routes.catalog import build_catalog
from app.store import TERMINAL, public
from app.templating import render
from engine.config import SECTIONS, TrainSettings

router = APIRouter(include_in_schema=False)

# what a fresh builder shows: a run that works and finishes in a few seconds
DEFAULTS = {
    "dataset": ("moons", {}), "model": ("mlp", {}), "loss": ("cross_entropy", {}),
    "optimizer": ("adam", {"lr": 0.01}), "schedule": ("constant", {}), "init": ("default", {}),
    "regularization": ("", {}),
}
LABELS = {
    "dataset": "Data", "model": "Network", "loss": "Loss", "optimizer": "Optimizer",
    "schedule": "LR schedule", "init": "Initialization", "regularization": "Penalty",
}


def _section(section: str, name: str, values: dict) -> dict:
    registry = SECTIONS[section]
    entry = registry[name] if name else None
    return {
        "key": section, "label": LABELS[section], "selected": name, "optional": section == "regularization",
        "entries": registry.catalog(), "entry": entry.describe() if entry else None,
        "fields": fields_for(section, entry.params, values) if entry else [],
    }


@router.get("/", response_class=HTMLResponse)
def builder(request: Request):
    sections = [_section(s, *DEFAULTS[s]) for s in SECTIONS]
    train = TrainSettings(steps=500)
    return render(request, "builder.html", {"sections": sections, "train": train, "catalog": build_catalog()})


@router.get("/partials/params/{section}", response_class=HTMLResponse)
def params_fragment(request: Request, section: str, name: str = ""):
    if section not in SECTIONS:
        raise HTTPException(404, f"no section '{section}'")
    if name and name not in SECTIONS[section]:
        raise HTTPException(404, f"no {SECTIONS[section].kind} '{name}'")
    return render(request, "partials/section.html", {"section": _section(section, name, {})})


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, store: StoreDep, fragment: str | None = None):
    runs = [public(r) for r in store.list_runs()]
    return render(request, "runs.html", {"runs": runs}, block="table" if fragment == "table" else None)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run: RunDep, fragment: str | None = None):
    context = {"run": public(run), "terminal": run.status in TERMINAL}
    return render(request, "run.html", context, block="header" if fragment == "header" else None)
