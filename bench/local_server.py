"""A throwaway Descent server for the HTTP benches: its own port on 127.0.0.1, its own SQLite file, always stopped."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the benches run as scripts from bench/

from engine.status import TERMINAL  # noqa: E402

LONG_RUN = {
    "dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
    "optimizer": {"name": "adam", "params": {"lr": 0.01}},
    "train": {"steps": 200_000, "batch_size": 32, "eval_every": 10},
}


def machine(client: httpx.Client) -> dict:
    """Where the numbers come from; torch's version as the server reports it (this process needs no torch)."""
    health = client.get("/healthz").json()
    return {"machine": platform.machine(), "cpus": os.cpu_count(), "torch": health.get("torch"),
            "device": health.get("device"), "workers": health.get("workers"),
            "load_avg_1m": round(os.getloadavg()[0], 2)}  # others sharing the cores show here


@dataclass(frozen=True)
class Server:
    base: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """CPU time the web process (not its workers) has used so far; None where /proc is missing."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def local_server(workers: int = 2, ready_timeout: float = 90.0, database: Path | None = None,
                 env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start uvicorn in its own process group, wait for /healthz, yield it; stop it (and its workers) on the
    way out, whatever happened. `env` adds settings (DESCENT_EXECUTOR=ray, ...)."""
    tmp = Path(tempfile.mkdtemp(prefix="descent-bench-"))
    port = free_port()
    env = {**os.environ, "DESCENT_DATABASE_URL": f"sqlite:///{database or tmp / 'b.db'}", "DESCENT_DATA_DIR": str(tmp),
           "DESCENT_WORKERS": str(workers), **(env or {})}
    log = open(tmp / "server.log", "wb")
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", "--timeout-graceful-shutdown", "5"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{_tail(tmp / 'server.log')}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not healthy after {ready_timeout:.0f}s:\n{_tail(tmp / 'server.log')}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield Server(base, process.pid)
    finally:
        _stop(process)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _stop(process: subprocess.Popen) -> None:
    group = process.pid  # start_new_session: the group id is the server's pid; workers are in it too
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)  # whatever of this group outlived a graceful shutdown
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:]


def wait_busy(client: httpx.Client, busy: int, timeout: float = 60.0) -> None:
    """Until /healthz reports `busy` workers with a run (a worker takes a run only once torch is imported)."""
    deadline = time.monotonic() + timeout
    while client.get("/healthz").json()["busy"] != busy:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the pool did not reach {busy} busy workers in {timeout:.0f}s")
        time.sleep(0.1)


def start_runs(client: httpx.Client, n: int, config: dict | None = None) -> list[str]:
    ids = []
    for _ in range(n):
        response = client.post("/api/runs", json=config or LONG_RUN)
        response.raise_for_status()
        ids.append(response.json()["id"])
    return ids


def stop_runs(client: httpx.Client, ids: list[str], timeout: float = 30.0) -> None:
    for run_id in ids:
        client.post(f"/api/runs/{run_id}/control", json={"action": "stop"})  # 409 if it already ended: fine
    deadline = time.monotonic() + timeout
    while any(client.get(f"/api/runs/{run_id}").json()["status"] not in TERMINAL for run_id in ids):
        if time.monotonic() > deadline:
            raise RuntimeError("runs did not stop")
        time.sleep(0.1)


def warm_pool(client: httpx.Client, workers: int) -> None:
    """Every worker has imported torch and trained once: start one run per worker, see all busy, stop them."""
    ids = start_runs(client, workers)
    wait_busy(client, workers)
    time.sleep(0.5)
    stop_runs(client, ids)
    wait_busy(client, 0)
