"""GET /healthz: liveness, the device runs train on, and the pool's load."""

from __future__ import annotations

import torch
from fastapi import APIRouter

from app.deps import PoolDep

router = APIRouter(tags=["health"])


def default_device() -> str:
    return "cuda:0" if torch.cuda.is_available() else "cpu"


@router.get("/healthz")
def healthz(pool: PoolDep) -> dict:
    return {
        "status": "ok",
        "device": default_device(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "workers": pool.size,
        "busy": pool.busy(),
        "queued": pool.queued(),
    }
