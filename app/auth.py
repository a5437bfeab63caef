"""Access: requests must name this server in their Host header (DNS rebinding); unsafe requests from another
origin are refused (CSRF); with DESCENT_TOKEN set, every page and API call needs it (bearer header or a login
cookie that expires and dies with the token), and wrong tokens are rate-limited per client address."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import time
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.ratelimit import FailureLimiter
from app.settings import Settings, host_name
from app.templating import render

SESSION_COOKIE, CSRF_COOKIE = "descent_session", "descent_csrf"
# /favicon.ico too: a browser asks for it by itself, and sending it to /login rendered a second login form,
# whose new CSRF cookie voided the form on screen
OPEN_PATHS = ("/healthz", "/login", "/logout", "/static/", "/favicon.ico")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CLOCK_SKEW_S = 60
CSRF_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")  # what token_urlsafe(24) makes: a reused CSRF cookie must match it

router = APIRouter(include_in_schema=False)


def same(given: str, expected: str | bytes) -> bool:
    # bytes, not str: compare_digest raises on non-ASCII str, and a stranger's header must not answer 500
    try:
        given_bytes = given.encode()
        expected_bytes = expected.encode() if isinstance(expected, str) else expected
    except UnicodeEncodeError:  # a lone surrogate is never the secret
        return False
    return hmac.compare_digest(given_bytes, expected_bytes)


class Access:
    """What every request is checked against; one per app (app.state.access)."""

    def __init__(self, settings: Settings):
        self.token = settings.token.get_secret_value().encode() if settings.token else None
        self.hosts = settings.host_names()
        self.session_s = int(settings.session_days * 86400)
        self.failures = FailureLimiter(settings.max_login_failures)

    def host_allowed(self, header: str | None) -> bool:
        return "*" in self.hosts or (header is not None and host_name(header) in self.hosts)

    def session_cookie(self, now: float | None = None) -> str:
        """'<issue time>.<HMAC of it keyed by the token>': expiry is checked here, not left to the browser,
        and a new token invalidates every cookie made with the old one."""
        issued = str(int(time.time() if now is None else now))
        return f"{issued}.{self._sign(issued)}"

    def session_valid(self, cookie: str, now: float | None = None) -> bool:
        issued, _, signature = cookie.partition(".")
        if not issued.isascii() or not issued.isdigit() or not same(signature, self._sign(issued)):
            return False
        age = (time.time() if now is None else now) - int(issued)
        return -CLOCK_SKEW_S <= age < self.session_s

    def _sign(self, issued: str) -> str:
        return hmac.new(self.token, b"descent-session:" + issued.encode(), hashlib.sha256).hexdigest()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _cross_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return False  # not a browser, or a same-origin navigation
    return origin == "null" or urlsplit(origin).netloc != request.headers.get("host", "")


def _too_many(wait_s: float) -> JSONResponse:
    return JSONResponse({"detail": f"too many wrong tokens from this address; try again in {math.ceil(wait_s)} s"},
                        status_code=429, headers={"Retry-After": str(math.ceil(wait_s))})


class AccessMiddleware:
    """Plain ASGI, not BaseHTTPMiddleware: a request that passes goes on untouched (no task group and memory
    stream around every response, and a server's first answer does not wait for anyio's backend to import)."""

    def __init__(self, app: ASGIApp, access: Access):
        self.app, self.access = app, access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refusal = self.refusal(Request(scope))
        if refusal is None:
            return await self.app(scope, receive, send)
        await refusal(scope, receive, send)

    def refusal(self, request: Request) -> Response | None:
        """The answer to a request that may not pass; None for one that may."""
        access, path = self.access, request.url.path
        # /healthz stays open to any name: load balancers and container probes call it by address
        if path != "/healthz" and not access.host_allowed(request.headers.get("host")):
            return JSONResponse({"detail": "this server does not answer to that host name; "
                                           "add it to DESCENT_ALLOWED_HOSTS"}, status_code=400)
        if request.method in UNSAFE and _cross_origin(request):
            return JSONResponse({"detail": "cross-origin request refused"}, status_code=403)
        if access.token is None or path.startswith(OPEN_PATHS):
            return None
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            client = client_address(request)
            if wait_s := access.failures.wait_s(client):
                return _too_many(wait_s)
            if same(header[7:].strip(), access.token):
                return None
            access.failures.fail(client)
        elif access.session_valid(request.cookies.get(SESSION_COOKIE, "")):
            return None
        if path.startswith("/api/") or path in ("/openapi.json", "/docs"):
            return JSONResponse({"detail": "this server needs a token: send 'Authorization: Bearer <token>'"},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        target = path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def install(app: FastAPI, settings: Settings) -> None:
    app.state.access = Access(settings)
    app.add_middleware(AccessMiddleware, access=app.state.access)


def _safe_next(target: str) -> str:
    # only paths on this server: never an absolute URL or a scheme-relative //host
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _login_form(request: Request, next: str, status_code: int = 200, **context) -> Response:
    # the browser's CSRF cookie, when it has one, stays: a second render (another tab, a reload) must not void
    # the form already on screen
    csrf = request.cookies.get(CSRF_COOKIE, "")
    if not CSRF_SHAPE.fullmatch(csrf):
        csrf = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"next": _safe_next(next), "csrf": csrf, **context})
    response.status_code = status_code
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict")
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/", failed: bool = False) -> Response:
    return _login_form(request, next, failed=failed)


@router.post("/login")
def login(request: Request, token: str = Form(""), csrf: str = Form(""), next: str = Form("/")) -> Response:
    access: Access = request.app.state.access
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not same(csrf, cookie):
        return JSONResponse({"detail": "the login form expired; reload it"}, status_code=403)
    client = client_address(request)
    if wait_s := access.failures.wait_s(client):
        return _login_form(request, next, 429, wait_s=math.ceil(wait_s))
    if access.token is None or not same(token, access.token):
        access.failures.fail(client)
        return RedirectResponse(f"/login?failed=1&next={quote(_safe_next(next))}", status_code=303)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, access.session_cookie(), max_age=access.session_s, httponly=True,
                        samesite="lax")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
    return response
