"""HTML pages: the builder, a run, the runs list; htmx asks for fragments of the same templates."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from app.catalog import build_catalog
from app.compare import differences, lesson
from app.deps import BackendDep, RunDep, SettingsDep, StoreDep
from app.forms import FormField, fields_for
from app.jobs import KIND_NAMES
from app.links import encode_config, state_from_link
from app.listing import RunFilter, public
from app.templating import render
from engine import checkpoint
from engine.config import SECTION_LIST, SECTIONS, Section, StartFrom, TrainSettings
from engine.datasets import DataInfo, data_info, datasets
from engine.networks.sizing import defaults_for
from engine.status import TERMINAL, RunStatus
from engine.steering import optimizer_fields

router = APIRouter(include_in_schema=False)
RUNS_PAGE = 200  # rows of the runs list; "older runs" opens the next page


def _section(section: Section, name: str, values: dict, info: DataInfo | None = None) -> dict:
    """A section of the builder; a network's fields open at the sizes that fit the data set (`info`)."""
    entry = section.registry[name] if name else None
    sized = defaults_for(entry, info) if entry else {}
    return {
        "key": section.key, "label": section.label, "selected": name,
        "optional": not section.required and section.default is None,
        "entries": section.registry.catalog(), "entry": entry.describe() if entry else None,
        "fields": fields_for(f"{section.key}.params", entry.params, {**sized, **values}) if entry else [],
        "sized_for": info if sized else None,
        # the data's task (classification or regression), which the loss select marks its losses by
        "task": info.task if info and section.key == "dataset" else None,
    }


def dataset_info(spec: dict[str, Any]) -> DataInfo | None:
    """What a data set spec ({name, params}) gives a network to fit, or None when it cannot be read."""
    try:
        return data_info(spec["name"], datasets[spec["name"]].params.model_validate(spec.get("params", {})))
    except (KeyError, ValueError):
        return None


def task_of(config: dict[str, Any]) -> str:
    """classification or regression, from a stored run's data set (an upload gone missing reads as the first)."""
    info = dataset_info(config["dataset"])
    return info.task if info else "classification"


@router.get("/", response_class=HTMLResponse)
def builder(request: Request, backend: BackendDep, config: str | None = None):
    state, problem = state_from_link(config)
    sections = []
    info = dataset_info(state["dataset"])
    for section in SECTION_LIST:
        spec = state.get(section.key) or {"name": section.default or ""}
        sections.append(_section(section, spec["name"], spec.get("params", {}), info))
    train = fields_for("train", TrainSettings, state.get("train", {}))
    start = None
    if state.get("start_from"):
        start = FormField("start_from", "start from a checkpoint", "group", True,
                          children=fields_for("start_from", StartFrom, state["start_from"]))
    context = {"sections": sections, "train": train, "start": start, "name": state.get("name") or "",
               "problem": problem, "catalog": build_catalog(),
               # not waiting for the database: the form needs none, and says why runs cannot start yet
               "starting": backend.starting(), "database": backend.problem}
    return render(request, "builder.html", context)


@router.get("/partials/params/{section}", response_class=HTMLResponse)
def params_fragment(request: Request, section: str, keep: str = "{}"):
    """A section's fields for the component picked; a network's sized for the data set the form names
    (dataset.name, dataset.params.*), with `keep` (JSON) holding the values the person typed."""
    if section not in SECTIONS:
        raise HTTPException(404, f"no section '{section}'")
    query = request.query_params
    name = query.get(f"{section}.name", "")
    if name and name not in SECTIONS[section]:
        raise HTTPException(404, f"no {SECTIONS[section].kind} '{name}'")
    prefix = "dataset.params."
    dataset = {"name": query.get("dataset.name", ""),
               "params": {k[len(prefix):]: v for k, v in query.items() if k.startswith(prefix) and v != ""}}
    try:
        kept = json.loads(keep)
    except ValueError:
        kept = {}
    values = kept if isinstance(kept, dict) else {}
    chosen = next(s for s in SECTION_LIST if s.key == section)
    return render(request, "partials/section.html", {"section": _section(chosen, name, values, dataset_info(dataset))})


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, store: StoreDep, where: Annotated[RunFilter, Query()],
              offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0, fragment: str | None = None):
    shown = where.model_dump(mode="json", exclude_none=True)
    # the list shows runs, each with its landscapes and LR range tests under it; the filter shows jobs on their own
    where = where if where.kind else where.model_copy(update={"kind": "run"})
    rows = store.list_runs(where, RUNS_PAGE + 1, offset)  # one more tells whether older runs exist
    choices = {**store.choices(), "status": [s.value for s in RunStatus]}
    older = {**shown, "offset": offset + RUNS_PAGE} if len(rows) > RUNS_PAGE else None
    newer = {**shown, "offset": max(0, offset - RUNS_PAGE)} if offset else None
    nested = store.jobs_of([r.id for r in rows[:RUNS_PAGE]]) if where.kind == "run" else {}
    context = {"runs": [public(r) for r in rows[:RUNS_PAGE]], "where": shown, "choices": choices,
               "jobs": {parent: [public(r) for r in found] for parent, found in nested.items()},
               "kinds": {**KIND_NAMES, "any": "all, each on its own"}, "offset": offset, "older": older, "newer": newer}
    return render(request, "runs.html", context, block="table" if fragment == "table" else None)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run: RunDep, store: StoreDep, settings: SettingsDep, fragment: str | None = None):
    finetune = {**run.config, "start_from": {"run": run.id, "mode": "finetune", "freeze": []}}
    waiting = run.status == RunStatus.QUEUED
    # a queued run says how many queued before it, instead of showing empty axes
    queued = store.list_runs(RunFilter(status=RunStatus.QUEUED)) if waiting else []
    ahead = sum(1 for r in queued if r.created < run.created)
    race, sweep = store.groups_of(run.id)
    context = {"run": public(run), "terminal": run.status in TERMINAL, "shared": encode_config(run.config),
               "waiting": waiting, "ahead": ahead,
               "race": race, "sweep": sweep, "trial": _trial_number(sweep, run.id),
               "schedule_moves": _schedule_moves(run.config),
               "task": task_of(run.config), "steerable": optimizer_fields(run.config["optimizer"]["name"]),
               "finetune": encode_config(finetune),
               "checkpoints": checkpoint.steps_on_disk(settings.checkpoint_root, run.id)}
    return render(request, "run.html", context, block="header" if fragment == "header" else None)


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, store: StoreDep, runs: str = ""):
    """Several runs overlaid, one colour each (runs=id,id,...)."""
    ids = [i for i in runs.split(",") if i][:24]
    rows = [store.get_run(i) for i in ids]
    missing = [i for i, row in zip(ids, rows, strict=True) if row is None]
    if missing or len(ids) < 1:
        raise HTTPException(404, f"no run with id {', '.join(missing) or '(none given)'}")
    members = [public(row) for row in rows]
    configs = [m["config"] for m in members]
    return render(request, "compare.html", {"members": members, "labels": differences(configs),
                                            "title": "Overlay of runs", "note": None, "lesson": lesson(configs),
                                            **_chart_facts(members)})


@router.get("/races", response_class=HTMLResponse)
def races_page(request: Request, store: StoreDep):
    rows = [row.listed() for row in store.list_comparisons(500)]
    return render(request, "groups.html", {"active": "races", "title": "Races", "kind": "race", "rows": rows})


@router.get("/compare/{comparison_id}", response_class=HTMLResponse)
def race_page(request: Request, comparison_id: str, store: StoreDep):
    comparison = store.get_comparison(comparison_id)
    if comparison is None:
        raise HTTPException(404, f"no comparison with id '{comparison_id}'")
    members = [public(row) for row in map(store.get_run, comparison.run_ids) if row is not None]
    how = ("all members train together in one worker, their forward and backward passes batched"
           if comparison.mode == "batched" else f"members train as separate runs ({comparison.reason})")
    note = ("Fair by construction: every member uses the same data, the same initial weights (bit-identical when "
            f"their init agrees) and the same batch order; only the variant differs. Here {how}.")
    return render(request, "compare.html", {"members": members, "labels": comparison.labels, "race": comparison,
                                            "title": comparison.name or "Race", "note": note,
                                            "lesson": lesson([m["config"] for m in members]), **_chart_facts(members)})


def _schedule_moves(config: dict[str, Any]) -> bool:
    """Whether the run's lr schedule changes the lr, so that a continuation may extend or restart it."""
    spec = config.get("schedule") or {}
    if spec.get("name") not in SECTIONS["schedule"]:
        return False
    steady = SECTIONS["schedule"][spec["name"]].meta.get("steady", False)
    return not steady or bool((spec.get("params") or {}).get("warmup_steps"))


def _trial_number(sweep, run_id: str) -> int | None:
    trials = sweep.trials if sweep else []
    return next((t.get("number", i) for i, t in enumerate(trials) if t["run_id"] == run_id), None)


def _chart_facts(members: list[dict[str, Any]]) -> dict[str, Any]:
    """Whether any member has accuracies to draw, and the steps between logged points the smoothing is per."""
    return {"accuracy": any(task_of(m["config"]) == "classification" for m in members),
            "eval_every": min(m["config"]["train"]["eval_every"] for m in members) if members else 1}
