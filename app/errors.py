"""App-wide answers: every 422 is strict JSON naming the field, whatever the input held; every 405 lists in
`Allow` all the methods of its path, not only those of the first route that matched it.

FastAPI's own 422 echoes each error's input; an input of NaN or Infinity (Python's json reads them) then
makes the strict encoder fail and the client gets a 500, and a 100 MB body comes back as a 100 MB echo."""

from __future__ import annotations

import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.planner import PlannerUnavailable

MAX_ECHO = 200  # characters of a string input sent back; containers are never echoed


def _scalar(value: Any) -> Any:
    """A JSON scalar safe to send back, or a string standing for anything else."""
    if value is None or isinstance(value, (bool, int, str)):
        return value[:MAX_ECHO] if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value).replace("inf", "Infinity").replace("nan", "NaN")
    return str(value)[:MAX_ECHO]


def strict(error: dict[str, Any]) -> dict[str, Any]:
    """One error as loc, msg, type, and its context and input when they are small scalars."""
    out = {"loc": [part if isinstance(part, (int, str)) else str(part) for part in error.get("loc", ())],
           "msg": str(error.get("msg", "")), "type": str(error.get("type", "value_error"))}
    if isinstance(error.get("ctx"), dict):
        out["ctx"] = {str(k): _scalar(v) for k, v in error["ctx"].items()}
    if "input" in error and (error["input"] is None or isinstance(error["input"], (bool, int, float, str))):
        out["input"] = _scalar(error["input"])
    return out


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": [strict(e) for e in exc.errors()]}, status_code=422)


async def method_not_allowed(request: Request, exc: HTTPException) -> JSONResponse:
    # note: the router stops at the first route whose path matches, so its Allow names only that route's methods
    methods = {m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m.strip()}
    for pattern, documented in _documented_methods(request.app):
        if pattern.fullmatch(request.url.path):
            methods |= documented
    if "GET" in methods:
        methods.add("HEAD")
    allow = ", ".join(sorted(methods))
    return JSONResponse({"detail": f"{request.method} is not allowed here; use {allow}"}, status_code=405,
                        headers={"Allow": allow})


def _documented_methods(app: FastAPI) -> list[tuple[re.Pattern, set[str]]]:
    cached = getattr(app.state, "documented_methods", None)
    if cached is None:
        cached = [(re.compile(re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(path))), {m.upper() for m in operations})
                  for path, operations in app.openapi()["paths"].items()]
        app.state.documented_methods = cached
    return cached


async def planner_unavailable(request: Request, exc: PlannerUnavailable) -> JSONResponse:
    return JSONResponse({"detail": f"{exc}; try again"}, status_code=503, headers={"Retry-After": "5"})


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(PlannerUnavailable, planner_unavailable)
    app.add_exception_handler(405, method_not_allowed)
