"""A database that refuses (read-only, full, locked, unreachable) answers 503 with the reason, never a bare 500.

An ASGI middleware rather than exception handlers: a handler is registered by class, and SQLAlchemy's error classes
load only once the database opens, after the server first answers (app/backend.py)."""

from __future__ import annotations

import logging
import sys

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


def refused(exc: BaseException) -> bool:
    store = sys.modules.get("app.store")  # not loaded yet: no error can have come from the database
    return store is not None and isinstance(exc, store.UNAVAILABLE)


def answer(method: str, path: str, exc: BaseException) -> JSONResponse:
    log.warning("%s %s: the database refused: %s", method, path, exc)
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    return JSONResponse({"detail": f"the database cannot take this now ({reason}); try again later"}, status_code=503,
                        headers={"Retry-After": "5"})


class RefusedMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started or not refused(exc):
                raise
            await answer(scope["method"], scope["path"], exc)(scope, receive, send)
