"""`python -m app`: start uvicorn on DESCENT_HOST:DESCENT_PORT, refusing a public address without a token."""

from __future__ import annotations

import logging
import sys

import uvicorn

from app.settings import get_settings


def main() -> int:
    settings = get_settings()
    if not settings.is_loopback() and settings.token is None:
        logging.basicConfig()
        logging.getLogger("descent").error(
            "refusing to listen on %s without DESCENT_TOKEN: anyone who can reach it could run jobs. "
            "Set DESCENT_TOKEN to a long random secret, or bind 127.0.0.1.", settings.host,
        )
        return 2
    uvicorn.run("app.main:app", host=settings.host, port=settings.port, proxy_headers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
