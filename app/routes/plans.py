"""POST /api/plans: what a RunConfig would build, before it runs (layer table, totals, advice)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from app.deps import SettingsDep
from app.templating import render
from app.validation import PlanPreview, preview
from engine.config import RunConfig

router = APIRouter(tags=["plans"])


@router.post("/api/plans")
def plan_run(config: RunConfig, settings: SettingsDep) -> PlanPreview:
    """Each layer's output shape, parameters and FLOPs (torch.utils.flop_counter), the totals, and warnings
    about the pairing; 422 naming the field exactly as POST /api/runs would."""
    return preview(config, settings)


@router.post("/partials/plan", response_class=HTMLResponse, include_in_schema=False)
async def plan_fragment(request: Request, settings: SettingsDep):
    """The builder's network table; problems are shown in place rather than as an error page."""
    try:
        config = RunConfig.model_validate(await request.json())
        # the planner process answers; waiting for it must not hold the event loop (streams run there)
        context = {"plan": await run_in_threadpool(preview, config, settings), "errors": []}
    except RequestValidationError as exc:
        context = {"plan": None, "errors": exc.errors()}
    except ValueError as exc:  # pydantic's ValidationError and a body that is not JSON
        errors = getattr(exc, "errors", None)
        found = errors(include_url=False) if callable(errors) else [{"loc": [], "msg": str(exc)}]
        context = {"plan": None, "errors": found}
    return render(request, "partials/plan.html", context)
