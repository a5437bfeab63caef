"""GET /healthz: liveness, the device runs train on, and the pool's load.

The devices are what the workers reported when they started: the web process never touches CUDA itself (a CUDA
context costs hundreds of MiB of GPU memory, and the image's HEALTHCHECK calls this every 30 s).
"""

from __future__ import annotations

from importlib import metadata

from fastapi import APIRouter

from app.deps import BackendDep, SettingsDep
from app.planner import planner

router = APIRouter(tags=["health"])
TORCH = metadata.version("torch")  # what the workers import, read without importing it here


# async: it only reads counters, so it needs no thread of the pool FastAPI runs plain functions in (a probe every 30 s,
# and a server's first answer, do not wait for that pool to start); nor does it wait for the database to open
@router.get("/healthz")
async def healthz(backend: BackendDep, settings: SettingsDep) -> dict:
    pool = backend.parts.pool if backend.parts else None
    devices = pool.devices() if pool else []
    first = devices[0] if devices else {}
    return {
        # 200 either way (the process is alive); "starting" while the database opens or the workers import torch:
        # no run can start yet
        "status": "starting" if backend.starting() else "ok",
        # "open", "opening", or why it is not open yet (app/backend.py); a request that needs it waits or gets 503
        "database": backend.state(),
        # the processes that build networks for plans and checks (app/planner.py); a request waits for them
        "planner": "ready" if planner.ready() else "starting",
        "device": first.get("device"),  # null until a worker has started
        "gpu": first.get("name"),
        "devices": devices,
        "torch": TORCH,
        "executor": settings.executor,
        "workers": pool.size if pool else settings.workers,
        "busy": pool.busy() if pool else 0,
        "queued": pool.queued() if pool else 0,
    }
