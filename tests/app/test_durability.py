"""A server killed with SIGKILL mid-run: its workers die with it, every metric written up to 1 s before
the kill is kept, and on restart the run is marked interrupted; on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import run_config, start_server, stop_server, wait_for


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigkill_keeps_metrics_and_restart_marks_interrupted(tmp_path, database_url):
    db = tmp_path / "descent.db"
    server, base = start_server(db, DESCENT_DATABASE_URL=database_url)
    workers = wait_for(lambda: len(c := children(server.pid)) >= 2 and c, 30)
    config = run_config(train={"steps": 500_000, "eval_every": 20})
    run_id = httpx.post(base + "/api/runs", json=config, timeout=30).json()["id"]
    received: list[tuple[float, int]] = []  # (arrival time, step) of each metrics event

    def watch():
        try:
            with httpx.stream("GET", f"{base}/api/runs/{run_id}/events", timeout=30) as response:
                event = None
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "metrics":
                        received.append((time.monotonic(), json.loads(line[6:])["step"]))
        except httpx.HTTPError:
            pass  # the server died under us: that is the test

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    wait_for(lambda: len(received) > 200, 60)
    time.sleep(1.0)
    killed_at = time.monotonic()
    os.kill(server.pid, signal.SIGKILL)
    server.wait(10)
    watcher.join(10)
    wait_for(lambda: not any(alive(pid) for pid in workers), 10)  # no orphan keeps training

    before_deadline = {step for at, step in received if at <= killed_at - 1.0}
    assert len(before_deadline) > 100
    server, base = start_server(db, DESCENT_DATABASE_URL=database_url)
    try:
        run = httpx.get(f"{base}/api/runs/{run_id}").json()
        assert run["status"] == "interrupted" and "server stopped" in run["error"]
        stored = {row["step"] for row in httpx.get(f"{base}/api/runs/{run_id}/metrics").json()["metrics"]}
        assert before_deadline <= stored
        # the history still streams and ends: nothing waits forever on an interrupted run
        with httpx.stream("GET", f"{base}/api/runs/{run_id}/events", timeout=30) as response:
            lines = list(response.iter_lines())
        assert sum(line == "event: metrics" for line in lines) == len(stored)
    finally:
        stop_server(server)
