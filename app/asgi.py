"""What the plain ASGI middlewares share: an error raised before the response began, answered instead."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def answering(app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                    answer: Callable[[Exception], Response | None]) -> None:
    """Call `app`. An exception it raises before its response has started is answered with `answer(exc)`; when
    that is None, or the response had started (a second one cannot be sent), the exception goes on up."""
    started = False

    async def tracked(message: Message) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, receive, tracked)
    except Exception as exc:
        response = None if started else answer(exc)
        if response is None:
            raise
        await response(scope, receive, send)
