"""Dependencies as Annotated aliases, as the full-stack FastAPI template writes them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.executor.pool import WorkerPool
from app.runs import RunManager
from app.service import RunService
from app.settings import Settings
from app.store import RunRow, Store
from app.sweeper import Sweeper


# async: each only reads app.state; a plain function would cost every request a trip to FastAPI's thread pool
async def _manager(request: Request) -> RunManager:
    return request.app.state.manager


async def _store(request: Request) -> Store:
    return request.app.state.store


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _pool(request: Request) -> WorkerPool:
    return request.app.state.pool


async def _service(request: Request) -> RunService:
    return request.app.state.service


async def _sweeper(request: Request) -> Sweeper:
    return request.app.state.sweeper


ManagerDep = Annotated[RunManager, Depends(_manager)]
StoreDep = Annotated[Store, Depends(_store)]
SettingsDep = Annotated[Settings, Depends(_settings)]
PoolDep = Annotated[WorkerPool, Depends(_pool)]
ServiceDep = Annotated[RunService, Depends(_service)]
SweeperDep = Annotated[Sweeper, Depends(_sweeper)]


def _run(run_id: str, store: StoreDep) -> RunRow:
    row = store.get_run(run_id)
    if row is None:
        raise HTTPException(404, f"no run with id '{run_id}'")
    return row


RunDep = Annotated[RunRow, Depends(_run)]
