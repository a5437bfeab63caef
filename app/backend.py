"""The parts behind the routes (store, run manager, executor, run service, sweeper), opened in a thread of their own.

The server answers from the moment its routes are imported. Loading SQLAlchemy and opening the database take
0.15-0.2 s of a 0.65 s start on SQLite. For a PostgreSQL that is still starting they take seconds, or fail.
That happens here meanwhile:
- /healthz says "opening" and answers at once.
- A request that needs the parts waits for them (up to OPEN_WAIT_S).
- An open that fails is tried again every RETRY_S, and meanwhile requests are answered 503 with the reason. So a
  server started beside its database (compose starts both at once) serves as soon as the database does, instead
  of exiting.

The thread lives as long as the parts. The pool's workers die with the thread that started them (Linux's
PR_SET_PDEATHSIG): the thread that opens them is the one that closes them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import HTTPException

from app.executor import Executor, choose
from app.runs import RunManager
from app.service import RunService
from app.settings import Settings
from app.stream import Hub
from app.sweeper import Sweeper

if TYPE_CHECKING:
    from app.store import Store

log = logging.getLogger(__name__)
OPEN_WAIT_S = 30.0  # a request waits this long for the first open before it is answered 503
RETRY_S = 2.0


@dataclass
class Parts:
    store: Store
    manager: RunManager
    pool: Executor
    service: RunService
    sweeper: Sweeper


class Backend:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.parts: Parts | None = None
        self.problem: str | None = None  # why the last open failed; None while the first is under way
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._live, daemon=True, name="backend")

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def state(self) -> str:
        """What /healthz says: open, opening, or why it is not open yet."""
        if self.parts is not None:
            return "open"
        return f"retrying every {RETRY_S:g} s: {self.problem}" if self.problem else "opening"

    def starting(self) -> bool:
        """No run can start yet: the database is not open, or no worker has imported torch."""
        return self.parts is None or self.parts.pool.starting()

    async def opened(self) -> Parts:
        """The parts for a request: at once when open; else it waits for the first open; 503 when an open failed."""
        deadline = time.monotonic() + OPEN_WAIT_S
        while self.parts is None and self.problem is None and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        if self.parts is None:
            reason = self.problem or f"still opening after {OPEN_WAIT_S:g} s"
            raise HTTPException(503, f"the database is not open yet ({reason}); try again shortly",
                                headers={"Retry-After": f"{RETRY_S:g}"})
        return self.parts

    def _live(self) -> None:
        while self.parts is None and not self._stopping.is_set():
            try:
                self.parts = _open(self.settings)
            except Exception as exc:
                reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
                if reason != self.problem:
                    log.error("could not open the database (%s); trying again every %g s", reason, RETRY_S)
                self.problem = reason
                self._stopping.wait(RETRY_S)
        self._stopping.wait()
        if self.parts is not None:
            _close(self.parts)


def _open(settings: Settings) -> Parts:
    from app.store import Store  # here, in this thread: SQLAlchemy comes with it

    store = Store(settings.database_url)
    interrupted = store.mark_interrupted()
    if interrupted:
        log.warning("marked %d runs interrupted: %s", len(interrupted), ", ".join(interrupted))
    manager = RunManager(store, Hub(), settings.flush_interval_s)
    pool = choose.build(settings, manager.on_events, manager.on_released)
    pool.start()
    try:
        manager.start()
        service = RunService(store, manager, pool, settings)
        sweeper = Sweeper(service, manager)
        sweeper.start()  # reads the sweeps to resume: the database may refuse here too
    except BaseException:
        pool.shutdown()  # else its workers outlive the failed try, and the next try starts more
        raise
    return Parts(store, manager, pool, service, sweeper)


def _close(parts: Parts) -> None:
    parts.sweeper.stop()
    parts.pool.shutdown()
    parts.manager.stop()
