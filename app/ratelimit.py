"""Failed sign-ins counted per client address over a sliding window; at the limit, every try waits."""

from __future__ import annotations

import threading
import time
from collections import deque


class FailureLimiter:
    def __init__(self, limit: int, window_s: float = 60.0, max_clients: int = 10_000):
        self.limit, self.window_s, self.max_clients = limit, window_s, max_clients
        self._failures: dict[str, deque[float]] = {}
        # note: the login route runs in the thread pool while the middleware runs on the event loop
        self._lock = threading.Lock()

    def wait_s(self, client: str, now: float | None = None) -> float:
        """Seconds until `client` may try again; 0 when it may try now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._failures.get(client)
            if times is None:
                return 0.0
            self._forget_old(times, now)
            return max(0.0, times[0] + self.window_s - now) if len(times) >= self.limit else 0.0

    def fail(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._failures.pop(client, None) or deque(maxlen=self.limit)
            self._forget_old(times, now)
            times.append(now)
            self._failures[client] = times  # re-inserted: the dict stays ordered by last failure
            while len(self._failures) > self.max_clients:  # bounded memory under a spray of addresses
                del self._failures[next(iter(self._failures))]

    def _forget_old(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window_s:
            times.popleft()
