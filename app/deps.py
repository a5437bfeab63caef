"""Dependencies as Annotated aliases, as the full-stack FastAPI template writes them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Request

from app.backend import Backend, Parts
from app.runs import RunManager
from app.service import RunService
from app.settings import Settings
from app.sweeper import Sweeper

if TYPE_CHECKING:
    from app.store import RunRow, Store


# async: each only reads app.state (or awaits the parts); a plain function would cost every request a trip to
# FastAPI's thread pool
async def _backend(request: Request) -> Backend:
    return request.app.state.backend


BackendDep = Annotated[Backend, Depends(_backend)]  # as it is: open or not (/healthz, the builder)


async def _parts(backend: BackendDep) -> Parts:
    return await backend.opened()  # waits while the database opens (app/backend.py)


PartsDep = Annotated[Parts, Depends(_parts)]


async def _manager(parts: PartsDep) -> RunManager:
    return parts.manager


async def _store(parts: PartsDep) -> Store:
    return parts.store


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _service(parts: PartsDep) -> RunService:
    return parts.service


async def _sweeper(parts: PartsDep) -> Sweeper:
    return parts.sweeper


ManagerDep = Annotated[RunManager, Depends(_manager)]
# Any, not the class (app.store.Store): importing it loads SQLAlchemy, which waits until the database opens; FastAPI
# cannot resolve a name given as a string inside these aliases either
StoreDep = Annotated[Any, Depends(_store)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ServiceDep = Annotated[RunService, Depends(_service)]
SweeperDep = Annotated[Sweeper, Depends(_sweeper)]


def _run(run_id: str, store: StoreDep) -> RunRow:
    row = store.get_run(run_id)
    if row is None:
        raise HTTPException(404, f"no run with id '{run_id}'")
    return row


RunDep = Annotated[Any, Depends(_run)]  # app.store.RunRow, as StoreDep
