"""Jinja2 rendering where one template serves the page and its fragments (jinja2-fragments' idea)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.vendor import PLOTLY_NAME
from engine.status import MEANINGS, RunStatus

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates


def number(value: Any) -> str:
    """A number as the pages write it: counts and anything from 1 000 up as a whole number with its thousands
    split by a space (12 000, never 1.2e+04); the rest to 4 significant digits."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{round(value):,}".replace(",", " ")
    return f"{value:.4g}"


@functools.cache
def templates() -> Jinja2Templates:
    """Made by the first page rendered: importing Jinja2 is 0.03 s of the server's start, which /healthz and the
    API never need."""
    from fastapi.templating import Jinja2Templates

    made = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
    # the badge partial's tooltips and message boxes; scripts read the same enum from /api/catalog (static/js/api.js)
    made.env.globals["status_meanings"] = {s.value: MEANINGS[s] for s in RunStatus}
    made.env.globals["fault_statuses"] = [s for s in RunStatus if s.fault]
    made.env.globals["plotly_js"] = f"/static/{PLOTLY_NAME}"
    made.env.filters["number"] = number
    return made


def render(request: Request, name: str, context: dict[str, Any], block: str | None = None) -> HTMLResponse:
    """The whole page, or only `block` of it (what an htmx request swaps in)."""
    if block is None:
        return templates().TemplateResponse(request, name, context)
    template = templates().env.get_template(name)
    ctx = template.new_context({"request": request, **context})
    return HTMLResponse("".join(template.blocks[block](ctx)))
