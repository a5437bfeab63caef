"""Request bodies have a size limit, enforced before they are read whole: a declared Content-Length over it is
refused at once, and a streamed (chunked) body is counted as it arrives. Uploads get their own, larger limit."""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.asgi import answering
from app.settings import Settings

UPLOAD_PATH = "/api/uploads"
MULTIPART_SLACK = 64 * 1024  # part headers and boundaries around the files themselves


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int, setting: str):
        super().__init__(413, f"the request body is over this server's limit of {limit:,} bytes ({setting})")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.json = (settings.max_body_bytes, "DESCENT_MAX_BODY_BYTES")
        self.upload = (settings.max_upload_bytes + MULTIPART_SLACK, "DESCENT_MAX_UPLOAD_BYTES")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit, setting = self.upload if scope["path"].startswith(UPLOAD_PATH) else self.json
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            refusal = BodyTooLarge(limit, setting)
            return await JSONResponse({"detail": refusal.detail}, status_code=413)(scope, receive, send)
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # raised inside the route's body parsing, FastAPI answers it as this 413
                    raise BodyTooLarge(limit, setting)
            return message

        # a BodyTooLarge read by something outside a route (a middleware) is answered here
        await answering(self.app, scope, counted, send, _too_large)


def _too_large(exc: Exception) -> JSONResponse | None:
    return JSONResponse({"detail": exc.detail}, status_code=413) if isinstance(exc, BodyTooLarge) else None
