"""The Docker image, built and run with podman: healthy, trains a run through the API with a token, keeps it in its
volume across a restart, and runs as the non-root user."""

from __future__ import annotations

import logging
import os
import time
import uuid
from contextlib import contextmanager

import httpx
import psycopg
import pytest

from tests.conftest import ROOT, free_port, run_config, wait_for
from tests.deploy import podman as pm

log = logging.getLogger(__name__)
TOKEN = "a-long-random-secret-for-the-image-test"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def image() -> str:
    why = pm.available()
    if why:
        pytest.fail(why) if os.environ.get("CI") else pytest.skip(why)
    started = time.monotonic()
    base = pm.base_image()
    based = time.monotonic()
    tag = "localhost/descent-test:latest"
    pm.build(ROOT, tag, base)
    log.warning("base image %.0f s, build %.0f s, image %s", based - started, time.monotonic() - based,
                pm.podman("image", "inspect", "--format={{.Size}}", tag).stdout.strip())
    return tag


def healthy(name: str, timeout: float = 180) -> float:
    """Seconds until the image's HEALTHCHECK passes. Podman runs it on a systemd timer, which this machine has not:
    run it here, as the timer would."""
    started = time.monotonic()
    wait_for(lambda: pm.podman("healthcheck", "run", name, check=False).returncode == 0, timeout, interval=1.0)
    status = pm.podman("inspect", "--format={{.State.Health.Status}}", name).stdout.strip()
    assert status == "healthy", status
    return time.monotonic() - started


@contextmanager
def container(image: str, *env: str, volume: str | None = None):
    """A detached container on the host's network (a free port); yields its name, its URL and the seconds from
    `podman run` to healthy. Removed afterwards, with its volume."""
    name, port = f"descent-test-{uuid.uuid4().hex[:8]}", free_port()
    volumes = [f"--volume={volume}:/data"] if volume else []
    started = time.monotonic()
    pm.podman("run", "--detach", f"--name={name}", *volumes, f"--env=DESCENT_TOKEN={TOKEN}",
              f"--env=DESCENT_PORT={port}", "--env=DESCENT_WORKERS=1", *(f"--env={e}" for e in env), image)
    try:
        healthy(name)
        seconds = time.monotonic() - started
        log.warning("podman run to healthy: %.1f s", seconds)
        yield name, f"http://127.0.0.1:{port}", seconds
    finally:
        pm.podman("rm", "--force", "--volumes", "--time=5", name, check=False)  # anonymous /data too
        if volume:
            pm.podman("volume", "rm", "--force", volume, check=False)


def train(base: str, steps: int = 100) -> tuple[dict, list[dict]]:
    run_id = httpx.post(base + "/api/runs", json=run_config(train={"steps": steps, "eval_every": 10}), headers=AUTH,
                        timeout=30).json()["id"]
    run = wait_for(lambda: (r := httpx.get(f"{base}/api/runs/{run_id}", headers=AUTH, timeout=10).json())
                   ["status"] == "completed" and r, 120)
    metrics = httpx.get(f"{base}/api/runs/{run_id}/metrics", headers=AUTH, timeout=10).json()["metrics"]
    assert [m["step"] for m in metrics] == list(range(0, steps + 1, 10))
    return run, metrics


def test_the_image_trains_keeps_its_runs_across_a_restart_and_runs_as_non_root(image):
    with container(image, volume=f"descent-test-{uuid.uuid4().hex[:8]}") as (name, base, to_healthy):
        assert httpx.get(base + "/api/runs", timeout=10).status_code == 401  # the token is required
        run, metrics = train(base)

        pm.podman("restart", "--time=20", name)
        healthy(name)
        assert httpx.get(f"{base}/api/runs/{run['id']}", headers=AUTH, timeout=10).json()["summary"] == run["summary"]
        assert httpx.get(f"{base}/api/runs/{run['id']}/metrics", headers=AUTH, timeout=10).json()["metrics"] == metrics
        checkpoints = httpx.get(f"{base}/api/runs/{run['id']}/checkpoints", headers=AUTH, timeout=10).json()
        assert checkpoints, "checkpoints are written to the volume"

        status = pm.podman("exec", name, "cat", "/proc/1/status").stdout
        uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
        assert set(uids) == {"10001"}, status  # real, effective, saved and filesystem uid of the server
        logs = pm.podman("logs", name)
        assert "leaked semaphore" not in logs.stdout + logs.stderr, logs.stderr[-3000:]
        assert "Traceback" not in logs.stdout + logs.stderr, logs.stderr[-3000:]
        assert to_healthy < 120


def test_the_image_on_postgresql(image, postgres):
    """The compose file's PostgreSQL variant, without compose: the image's driver and start-up migration."""
    url = postgres.new_database()
    with container(image, f"DESCENT_DATABASE_URL={url}") as (_, base, _seconds):
        run, _ = train(base, steps=20)
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as db:
        assert db.execute("SELECT status FROM runs WHERE id = %s", (run["id"],)).fetchone() == ("completed",)
        assert db.execute("SELECT version_num FROM descent_schema_version").fetchone() == ("0003",)
