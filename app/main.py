"""create_app(): the FastAPI application; its lifespan starts the planner and the backend (app/backend.py)."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from app import auth, errors, openapi
from app.backend import Backend
from app.bodylimit import BodyLimitMiddleware
from app.planner import planner
from app.refused import RefusedMiddleware
from app.routes import (
    catalog,
    checkpoints,
    comparisons,
    datasets,
    docs,
    health,
    lab,
    landscape,
    pages,
    plans,
    runs,
    streams,
    sweeps,
)
from app.settings import Settings, get_settings
from app.static_files import Static
from app.vendor import PLOTLY_NAME, PLOTLY_PATH
from engine.datasets import uploads

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        uploads.configure(settings.upload_root)
        planner.start(str(settings.upload_root))  # imports torch in its own processes, in the background
        backend = Backend(settings)  # the store, the executor and the rest open in their own thread
        backend.start()
        app.state.settings, app.state.backend = settings, backend
        try:
            yield
        finally:
            backend.stop()
            planner.stop()

    app = FastAPI(
        title="Descent", summary="a playground for neural-network optimizers, trained for real with PyTorch",
        version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,  # app/routes/docs.py serves them offline
    )
    app.mount("/static", Static(ROOT / "static", extra={PLOTLY_NAME: PLOTLY_PATH}), name="static")
    app.add_middleware(RefusedMiddleware)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    auth.install(app, settings)  # outermost: a stranger gets 400/401 before anything else
    errors.install(app)
    openapi.install(app)
    for module in (health, catalog, runs, streams, comparisons, checkpoints, plans, datasets, lab, landscape, sweeps,
                   pages, auth, docs):
        # the routes as the routers' decorators built them (prefix and tags applied): include_router would wrap each
        # router for FastAPI to build its routes a second time on the first request that reaches or passes it
        # (0.1 s of the first page after a start)
        app.router.routes.extend(module.router.routes)
    return app


app = create_app()
