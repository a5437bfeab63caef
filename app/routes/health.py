"""GET /healthz: liveness, the device runs train on, and the pool's load.

The devices are what the workers reported when they started: the web process never touches CUDA itself (a CUDA
context costs hundreds of MiB of GPU memory, and the image's HEALTHCHECK calls this every 30 s).
"""

from __future__ import annotations

import torch
from fastapi import APIRouter

from app.deps import PoolDep, SettingsDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(pool: PoolDep, settings: SettingsDep) -> dict:
    devices = pool.devices()
    first = devices[0] if devices else {}
    return {
        "status": "ok",
        "device": first.get("device"),  # null until a worker has started
        "gpu": first.get("name"),
        "devices": devices,
        "torch": torch.__version__,
        "executor": settings.executor,
        "workers": pool.size,
        "busy": pool.busy(),
        "queued": pool.queued(),
    }
