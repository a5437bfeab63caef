"""A database that refuses (read-only, full, locked, unreachable) answers 503 with the reason, never a bare 500.

An ASGI middleware rather than exception handlers: a handler is registered by class, and SQLAlchemy's error classes
load only once the database opens, after the server first answers (app/backend.py)."""

from __future__ import annotations

import logging
import sys

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from app.asgi import answering
from engine.lazy import lazy

db = lazy("app.store")  # SQLAlchemy: loaded with the database, after the server first answers (app/backend.py)
log = logging.getLogger(__name__)


def refused(exc: BaseException) -> bool:
    # SQLAlchemy not loaded yet: no error can have come from the database (and reading db.UNAVAILABLE would load it)
    return "sqlalchemy.exc" in sys.modules and isinstance(exc, db.UNAVAILABLE)


def answer(scope: Scope, exc: Exception) -> JSONResponse | None:
    if not refused(exc):
        return None
    log.warning("%s %s: the database refused: %s", scope["method"], scope["path"], exc)
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    return JSONResponse({"detail": f"the database cannot take this now ({reason}); try again later"}, status_code=503,
                        headers={"Retry-After": "5"})


class RefusedMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        await answering(self.app, scope, receive, send, lambda exc: answer(scope, exc))
