"""plotly.js is served from the copy the Python plotly package ships, so nothing comes from a CDN; its URL carries
plotly.js's version, so browsers may keep it for a year (app/static_files.py)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from plotly.offline import get_plotlyjs_version

PLOTLY_PATH = Path(str(files("plotly") / "package_data" / "plotly.min.js"))
PLOTLY_NAME = f"vendor/plotly-{get_plotlyjs_version()}.min.js"
