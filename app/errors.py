"""One answer for every 422 of the app: strict JSON naming the field, whatever the input held.

FastAPI's own handler echoes each error's input; an input of NaN or Infinity (Python's json reads them) then
makes the strict encoder fail and the client gets a 500, and a 100 MB body comes back as a 100 MB echo."""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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
