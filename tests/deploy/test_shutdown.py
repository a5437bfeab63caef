"""A server stopped with SIGTERM (as `podman stop` and systemd stop it) exits cleanly: no semaphore left behind."""

from __future__ import annotations

import httpx

from tests.conftest import run_config, start_server, stop_server, wait_for


def test_sigterm_leaves_no_leaked_semaphores(tmp_path):
    server, base = start_server(tmp_path / "descent.db")
    try:
        run_id = httpx.post(base + "/api/runs", json=run_config(train={"steps": 50}), timeout=30).json()["id"]
        wait_for(lambda: httpx.get(f"{base}/api/runs/{run_id}", timeout=10).json()["status"] == "completed", 60)
    finally:
        stop_server(server)
    assert server.returncode is not None
    log = (tmp_path / "server.log").read_text()
    assert "Application shutdown complete" in log and "leaked semaphore" not in log, log[-2000:]
