"""Jinja2 rendering where one template serves the page and its fragments (jinja2-fragments' idea)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


def render(request: Request, name: str, context: dict[str, Any], block: str | None = None) -> HTMLResponse:
    """The whole page, or only `block` of it (what an htmx request swaps in)."""
    if block is None:
        return templates.TemplateResponse(request, name, context)
    template = templates.env.get_template(name)
    ctx = template.new_context({"request": request, **context})
    return HTMLResponse("".join(template.blocks[block](ctx)))
