"""The race: POST /api/comparisons trains several variants of one RunConfig fairly; GET shows the standings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from app.deps import ServiceDep, StoreDep
from app.listing import public
from app.openapi import BUSY
from app.work.race import ComparisonCreate

if TYPE_CHECKING:
    from app.store import ComparisonRow

router = APIRouter(prefix="/api/comparisons", tags=["comparisons"])


class ComparisonCreated(BaseModel):
    id: str
    run_ids: list[str]
    mode: str
    reason: str | None


@router.post("", status_code=201, responses=BUSY)
def create_comparison(body: ComparisonCreate, service: ServiceDep) -> ComparisonCreated:
    race = service.submit(body).record
    return ComparisonCreated(id=race.id, run_ids=race.run_ids, mode=race.mode, reason=race.reason)


def standings(comparison: ComparisonRow, store) -> dict[str, Any]:
    members = []
    for run_id, label in zip(comparison.run_ids, comparison.labels, strict=True):
        row = store.get_run(run_id)
        if row is not None:
            run = public(row)
            keys = ("status", "progress", "summary", "error", "name", "config")
            members.append({"id": run_id, "label": label, **{k: run[k] for k in keys}})
    return {"id": comparison.id, "name": comparison.name, "mode": comparison.mode, "reason": comparison.reason,
            "created": comparison.created.isoformat() + "Z", "members": members}


@router.get("")
def list_comparisons(store: StoreDep, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                     offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> list[dict[str, Any]]:
    """Races newest first: id, name, mode, member run ids and when each was started."""
    return [row.listed() for row in store.list_comparisons(limit, offset)]


@router.get("/{comparison_id}")
def get_comparison(comparison_id: str, store: StoreDep) -> dict[str, Any]:
    comparison = store.get_comparison(comparison_id)
    if comparison is None:
        raise HTTPException(404, f"no comparison with id '{comparison_id}'")
    return standings(comparison, store)
