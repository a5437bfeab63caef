"""/docs (Swagger UI) and /redoc from the copies in static/vendor: FastAPI's own pages load them from a CDN, which a
self-hosted server may not reach."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)
SWAGGER = "/static/vendor/swagger-ui-5.35.0"
# the pages name this icon in base.html; a browser opening JSON, /docs or a file still asks for /favicon.ico
FAVICON = ("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><path d='M1 2 Q5 14 15 14' stroke='#2563eb' "
           "stroke-width='2.5' fill='none'/></svg>")
REDOC = "/static/vendor/redoc-2.5.4/redoc.standalone.js"


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url, title="Descent API", swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css", swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        # Swagger UI would otherwise send the spec's address to validator.swagger.io for a badge
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url=request.app.openapi_url, title="Descent API", redoc_js_url=REDOC,
                          redoc_favicon_url=f"{SWAGGER}/favicon-32x32.png", with_google_fonts=False)


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
