"""plotly.js is served from the copy the Python plotly package ships, so nothing comes from a CDN."""

from __future__ import annotations

from importlib.resources import files

from fastapi.responses import FileResponse

PLOTLY_PATH = files("plotly") / "package_data" / "plotly.min.js"


def PLOTLY_JS() -> FileResponse:  # noqa: N802  (a route endpoint named for the file it serves)
    return FileResponse(str(PLOTLY_PATH), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})
