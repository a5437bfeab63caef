"""How runs are listed: the filter a list takes, and what each run shows. Plain Python: the routes declare them
when the server starts, before SQLAlchemy (app/store.py) has loaded (app/backend.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, field_validator

from app import jobs
from engine.status import RunStatus

if TYPE_CHECKING:
    from app.store import RunRow


class RunFilter(BaseModel):
    """Narrow a list of runs; every field is optional and they combine with AND (in SQL, before paging)."""

    dataset: str | None = None
    network: str | None = None
    optimizer: str | None = None
    status: RunStatus | None = None
    tag: str | None = None
    kind: jobs.Kind | Literal["any"] | None = Field(
        None, description="runs, or the jobs about a run (loss landscapes, LR range tests); none given: any")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_means_any(cls, value: Any) -> Any:
        return None if value == "" else value  # a filter form's "all" option sends the field empty


def public(row: RunRow) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "status": row.status, "progress": round(row.progress, 4),
        "created": row.created.isoformat() + "Z", "config": row.config, "summary": row.summary,
        "error": row.error, "device": row.device, "total_steps": row.total_steps, "tags": row.tags or [],
        "parent": jobs.parent_of(row.tags or [], row.config), "kind": jobs.kind_of(row.tags or [], row.config),
    }
