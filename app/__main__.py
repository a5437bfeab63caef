"""`python -m app`: start uvicorn on DESCENT_HOST:DESCENT_PORT, refusing a public address without a token;
`python -m app db upgrade|current|history`: the database's schema (app/schema.py)."""

from __future__ import annotations

import gc
import importlib
import logging
import sys

import uvicorn
from pydantic import ValidationError

from app.settings import MAKE_TOKEN, get_settings

log = logging.getLogger("descent")


def main() -> int:
    try:
        settings = get_settings()
    except ValidationError as exc:
        logging.basicConfig()
        for error in exc.errors(include_url=False):
            log.error("DESCENT_%s: %s", "_".join(map(str, error["loc"])).upper(), error["msg"])
        return 2
    if sys.argv[1:2] == ["db"]:
        from app import schema

        logging.basicConfig(level=logging.INFO, format="%(message)s")
        return schema.main(sys.argv[2:], settings.database_url)
    if not settings.is_loopback() and settings.token is None:
        logging.basicConfig()
        log.error(
            "refusing to listen on %s without DESCENT_TOKEN: anyone who can reach it could run jobs. "
            "Set DESCENT_TOKEN to a long random secret (%s), or bind 127.0.0.1.", settings.host, MAKE_TOKEN,
        )
        return 2
    # the app's import makes about a million objects that live as long as the server: the collector would walk
    # them again and again while they are made (0.1 s of a 0.8 s start), and later collections need not see them
    gc.disable()
    importlib.import_module("app.main")
    gc.freeze()
    gc.enable()
    uvicorn.run("app.main:app", host=settings.host, port=settings.port, proxy_headers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
