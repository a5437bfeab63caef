"""One small Registry class: a name maps to a constructor, its params model and metadata."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict


class Params(BaseModel):
    """Base of every component's params model: unknown keys are an error, not ignored, and so are NaN and
    ±Infinity (Python's json reads them; a component would store null and fail later)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class UnknownName(KeyError):
    def __init__(self, kind: str, name: str, known: list[str]):
        self.kind, self.name, self.known = kind, name, known
        super().__init__(f"unknown {kind} '{name}'; choose one of: {', '.join(known)}")

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class Entry:
    name: str
    build: Callable[..., Any]
    params: type[Params]
    description: str
    meta: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "params": schema(self.params),
            **self.meta,
        }


@functools.cache
def schema(model: type[BaseModel]) -> dict[str, Any]:
    """A params model's JSON schema; models never change after import, and pages ask for hundreds."""
    return model.model_json_schema()


class Registry:
    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def add(
        self, name: str, params: type[Params] = Params, description: str = "", **meta: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register `build` under `name`."""

        def decorator(build: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            doc = description or (build.__doc__ or "").strip().splitlines()[0:1]
            text = doc if isinstance(doc, str) else (doc[0] if doc else "")
            self._entries[name] = Entry(name, build, params, text, meta)
            return build

        return decorator

    def __getitem__(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownName(self.kind, name, self.names()) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def names(self) -> list[str]:
        return list(self._entries)

    def catalog(self) -> list[dict[str, Any]]:
        return [entry.describe() for entry in self]


def load_entries(package: str, path: list[str], first: list[str]) -> None:
    """Import every module of a component package, so that a new file registers its entries with no other
    edit; the modules named in `first` load first, in order (registration order is catalog order)."""
    found = sorted(m.name for m in pkgutil.iter_modules(path) if not m.name.startswith("_"))
    for name in [*first, *(n for n in found if n not in first)]:
        importlib.import_module(f"{package}.{name}")
