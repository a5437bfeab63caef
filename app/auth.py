"""Access: with DESCENT_TOKEN set, every page and API call needs it (bearer header or login cookie);
unsafe requests from another origin are refused whether or not a token is set (CSRF)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from app.settings import Settings
from app.templating import render

SESSION_COOKIE, CSRF_COOKIE = "descent_session", "descent_csrf"
OPEN_PATHS = ("/healthz", "/login", "/static/")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

router = APIRouter(include_in_schema=False)


def session_value(token: str) -> str:
    # the cookie holds a digest, never the token itself
    return hmac.new(token.encode(), b"descent-session", hashlib.sha256).hexdigest()


def _cross_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return False  # not a browser, or a same-origin navigation
    return origin == "null" or urlsplit(origin).netloc != request.headers.get("host", "")


class AccessMiddleware(BaseHTTPMiddleware):
    def __init__(self, app, settings: Settings):
        super().__init__(app)
        self.token = settings.token.get_secret_value() if settings.token else None

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method in UNSAFE and _cross_origin(request):
            return JSONResponse({"detail": "cross-origin request refused"}, status_code=403)
        if self.token is None or request.url.path.startswith(OPEN_PATHS) or self._allowed(request):
            return await call_next(request)
        if request.url.path.startswith("/api/") or request.url.path in ("/openapi.json", "/docs"):
            return JSONResponse({"detail": "this server needs a token: send 'Authorization: Bearer <token>'"},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    def _allowed(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer ") and hmac.compare_digest(header[7:].strip(), self.token):
            return True
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie, session_value(self.token))


def _safe_next(target: str) -> str:
    # only paths on this server: never an absolute URL or a scheme-relative //host
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def login_page(request: Request, next: str = "/", failed: bool = False) -> Response:
    csrf = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"next": _safe_next(next), "csrf": csrf, "failed": failed})
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict")
    return response


@router.post("/login")
def login(request: Request, token: str = Form(""), csrf: str = Form(""), next: str = Form("/")) -> Response:
    expected = request.app.state.settings.token
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf):
        return JSONResponse({"detail": "the login form expired; reload it"}, status_code=403)
    if expected is None or not hmac.compare_digest(token, expected.get_secret_value()):
        return RedirectResponse(f"/login?failed=1&next={quote(_safe_next(next))}", status_code=303)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, session_value(expected.get_secret_value()), httponly=True, samesite="lax")
    return response
