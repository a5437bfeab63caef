"""GET /api/catalog: every registry with descriptions, params schemas and pairing metadata; sections; statuses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.catalog import build_catalog

router = APIRouter(prefix="/api", tags=["catalog"])


@router.get("/catalog")
def get_catalog() -> dict[str, list[dict[str, Any]]]:
    return build_catalog()
