"""A run's event stream (SSE), its chart history and its full metrics export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from fastapi.sse import EventSourceResponse

from app import export
from app.deps import ManagerDep, RunDep, SettingsDep, StoreDep
from app.history import DEFAULT_POINTS, thin
from app.openapi import BUSY
from app.stream import StreamEvent
from engine.status import TERMINAL

router = APIRouter(prefix="/api/runs", tags=["runs"])
MAX_EVENT_ID = 2**63 - 1  # the store's integer column; a larger id would overflow in the query


def _subscriber_slot(run: RunDep, manager: ManagerDep, settings: SettingsDep) -> None:
    if manager.hub.subscribers[run.id] >= settings.max_subscribers:
        raise HTTPException(429, f"run '{run.id}' already has {settings.max_subscribers} watchers, this server's limit")


@router.get(
    "/{run_id}/events", response_model=None, dependencies=[Depends(_subscriber_slot)],
    responses={200: {"content": {"text/event-stream": {}}, "description": "metrics, probe, status and done events"},
               **BUSY},
)
async def run_events(
    run: RunDep,
    manager: ManagerDep,
    last_event_id: Annotated[int | None, Header(ge=0, le=MAX_EVENT_ID)] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_EVENT_ID,
                                       description="replay from this event id (same as Last-Event-ID)")] = None,
) -> EventSourceResponse:
    """Every event of the run after Last-Event-ID (or `after`), then live ones until `done`."""
    store = manager.store

    async def stored(since: int) -> list[StreamEvent]:
        rows = await run_in_threadpool(store.events_after, run.id, since)
        return [StreamEvent(r.seq, r.kind, r.data) for r in rows]

    async def body():
        # note: events are pre-encoded once in the hub; a batch goes out as one write per subscriber
        async for batch in manager.hub.follow(run.id, last_event_id or after or 0, stored):
            yield b"".join(event.wire for event in batch) if batch else b": keep-alive\n\n"

    return EventSourceResponse(body(), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/{run_id}/metrics", response_model=None, responses={
    200: {"content": {"application/json": {}, "text/csv": {}}, "description": "every logged step"}})
def run_metrics(run: RunDep, store: StoreDep, format: Literal["json", "csv"] = "json") -> StreamingResponse:
    """Every logged step: JSON {"id", "metrics": [{"step", "epoch", "time", name: value}], "test"}, or CSV."""
    texts = store.metric_texts(run.id)
    tested = {k: v for k, v in (run.summary or {}).items() if k.startswith("test_")}
    if format == "json":
        return StreamingResponse(export.json_body(run.id, texts, tested), media_type="application/json")
    headers = {"Content-Disposition": f'attachment; filename="run-{run.id}-metrics.csv"'}
    return StreamingResponse(export.csv_body(texts, tested), media_type="text/csv", headers=headers)


@router.get("/{run_id}/history")
async def run_history(
    run: RunDep, manager: ManagerDep, max_points: Annotated[int, Query(ge=10, le=1_000_000)] = DEFAULT_POINTS
) -> dict[str, Any]:
    """What a chart needs to open a run: metrics downsampled per series (extremes and last point kept),
    the latest reading of each probe, and the event id to follow the live stream from."""
    stored = await run_in_threadpool(manager.store.get_history, run.id) if run.status in TERMINAL else None
    if stored is not None and max_points <= DEFAULT_POINTS:
        # kept when the run ended: opening it parses nothing
        view = stored if max_points == DEFAULT_POINTS else thin(stored, max_points)
        return {"id": run.id, "status": run.status, **view}
    view = await run_in_threadpool(manager.history_view, run.id, max_points)
    # read after the view: a run that ended meanwhile says so, and the page need not follow a finished stream
    now = await run_in_threadpool(manager.store.get_run, run.id)
    return {"id": run.id, "status": now.status if now else run.status, **view}
