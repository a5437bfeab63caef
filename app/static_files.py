"""/static: text files gzipped (once per file version, kept in memory), and a year in the browser's cache for a
file whose name carries a version (htmx-2.0.11.min.js, katex-0.16.47/…); the others are revalidated by ETag."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

VERSIONED = re.compile(r"-\d+\.\d+\.\d+")
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
YEAR = "public, max-age=31536000, immutable"


class Static(StaticFiles):
    def __init__(self, directory: Path, extra: dict[str, Path]):
        """extra: files served from elsewhere, by their path under /static (plotly.js from its Python package)."""
        super().__init__(directory=directory)
        self.extra = extra
        self._gzipped: dict[str, tuple[tuple[int, int], bytes]] = {}  # path: ((mtime, size), bytes)

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path in self.extra:
            return str(self.extra[path]), os.stat(self.extra[path])
        return super().lookup_path(path)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code not in (200, 304):
            return response
        response.headers["cache-control"] = YEAR if VERSIONED.search(path) else "no-cache"
        response.headers["vary"] = "Accept-Encoding"
        request = Headers(scope=scope)
        if (isinstance(response, FileResponse) and scope["method"] == "GET" and "range" not in request
                and "gzip" in request.get("accept-encoding", "")
                and response.media_type and response.media_type.startswith(COMPRESSIBLE)):
            return await self._gzip(response)
        return response

    async def _gzip(self, response: FileResponse) -> Response:
        path, stat = str(response.path), response.stat_result or os.stat(response.path)
        version = (stat.st_mtime_ns, stat.st_size)
        if self._gzipped.get(path, (None,))[0] != version:
            self._gzipped[path] = version, await run_in_threadpool(_compress, path)
        dropped = ("content-length", "content-type", "accept-ranges")  # ranges are served from the plain file only
        headers = {k: v for k, v in response.headers.items() if k not in dropped}
        # weak: the same ETag names the plain and the gzipped bytes (a revalidation still gets its 304)
        headers.update({"content-encoding": "gzip", "etag": "W/" + headers["etag"]})
        return Response(self._gzipped[path][1], media_type=response.media_type, headers=headers)


def _compress(path: str) -> bytes:
    with open(path, "rb") as file:
        return gzip.compress(file.read(), compresslevel=6, mtime=0)
