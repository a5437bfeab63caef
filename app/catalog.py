"""What /api/catalog serves: every registry, the config sections and the run statuses, described once."""

from __future__ import annotations

import functools
from typing import Any

from app import study
from engine import status
from engine.config import SECTION_LIST
from engine.networks.activations import activations
from engine.probes import probes


def _jsonable(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if not callable(v)}


@functools.lru_cache(maxsize=1)
def build_catalog() -> dict[str, list[dict[str, Any]]]:
    """Every registry described; built once, since registries are complete after import."""
    catalog = {s.catalog: [_jsonable(e) for e in s.registry.catalog()] for s in SECTION_LIST}
    catalog["activations"] = [_jsonable(e) for e in activations.catalog()]
    catalog["probes"] = [_jsonable(e) for e in probes.catalog()]
    catalog["sections"] = [s.describe() for s in SECTION_LIST]
    catalog["statuses"] = status.describe()
    catalog["samplers"] = [_jsonable(e) for e in study.SAMPLERS.catalog()]  # a sweep's, and what it stops early with
    catalog["pruners"] = [_jsonable(e) for e in study.PRUNERS.catalog()]
    return catalog
