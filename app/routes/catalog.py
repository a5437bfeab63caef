"""GET /api/catalog: every registry with descriptions, params schemas and pairing metadata."""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter

from engine.config import SECTIONS
from engine.networks.activations import activations
from engine.probes import probes

router = APIRouter(prefix="/api", tags=["catalog"])

# API names of the registries, as DESIGN.md lists them
PLURAL = {
    "dataset": "datasets", "model": "networks", "loss": "losses", "optimizer": "optimizers",
    "schedule": "schedules", "init": "initializers", "regularization": "regularizers",
}


def _jsonable(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if not callable(v)}


@functools.lru_cache(maxsize=1)
def build_catalog() -> dict[str, list[dict[str, Any]]]:
    """Every registry described; built once, since registries are complete after import."""
    catalog = {PLURAL[section]: [_jsonable(e) for e in registry.catalog()] for section, registry in SECTIONS.items()}
    catalog["activations"] = [_jsonable(e) for e in activations.catalog()]
    catalog["probes"] = [_jsonable(e) for e in probes.catalog()]
    return catalog


@router.get("/catalog")
def get_catalog() -> dict[str, list[dict[str, Any]]]:
    return build_catalog()
