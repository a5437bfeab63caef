"""Shared fixtures: an in-process app with its worker pool, and a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from tests.postgres.fixtures import database_url, postgres  # noqa: F401  (fixtures: SQLite and PostgreSQL)

ROOT = Path(__file__).resolve().parent.parent
# the test client sends Host: testserver; a deployment names its own host names the same way
os.environ.setdefault("DESCENT_ALLOWED_HOSTS", "testserver")

MOONS_RUN = {
    "dataset": {"name": "moons"},
    "model": {"name": "mlp"},
    "loss": {"name": "cross_entropy"},
    "optimizer": {"name": "adam", "params": {"lr": 0.01}},
    "train": {"steps": 400, "batch_size": 32},
}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # note: two cores run the suite; one torch thread per in-process test avoids oversubscription
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def run_config(**overrides) -> dict:
    """MOONS_RUN with top-level sections replaced and train settings merged."""
    config = {**MOONS_RUN, **{k: v for k, v in overrides.items() if k != "train"}}
    config["train"] = {**MOONS_RUN["train"], **overrides.get("train", {})}
    return config


def fresh_session(script: str, *args: str, timeout: float = 600) -> dict:
    """Run `script` in a fresh interpreter (this one has torch, numpy and Jinja2 loaded already) from the repository
    root; returns the JSON its last line of output prints."""
    out = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """One data folder for every in-process app: the upload folder is per process (engine.datasets.uploads)."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def client(tmp_path_factory, data_dir) -> TestClient:
    from app.main import create_app
    from app.settings import Settings

    db = tmp_path_factory.mktemp("db") / "descent.db"
    settings = Settings(database_url=f"sqlite:///{db}", data_dir=str(data_dir), workers=2, torch_threads=1,
                        max_steps=100_000, max_upload_bytes=1_000_000,
                        max_parameters=1_000_000)
    with TestClient(create_app(settings)) as test_client:
        assert parts(test_client).pool.wait_ready(120)
        yield test_client


def parts(client: TestClient):
    """The app's store, executor, run manager, service and sweeper, once its database is open (app/backend.py)."""
    return wait_for(lambda: client.app.state.backend.parts, 60)


def finish(client: TestClient, run_id: str, timeout: float = 120.0) -> dict:
    from engine.status import TERMINAL

    return wait_for(lambda: (r := client.get(f"/api/runs/{run_id}").json())["status"] in TERMINAL and r, timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_LOGS: dict[str, Path] = {}  # a live server's address -> its log, shown under a test that fails with it


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test that used a live server shows the end of that server's log: CI keeps nothing else of it."""
    report = (yield).get_result()
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, str) and value in SERVER_LOGS and SERVER_LOGS[value].exists():
                report.sections.append((f"server log {value}", SERVER_LOGS[value].read_text(errors="replace")[-8000:]))


def start_server(db: Path, port: int | None = None, **env_overrides: str) -> tuple[subprocess.Popen, str]:
    """`python -m app` as `make run` starts it, on 127.0.0.1; returns once /healthz says the workers and the planner
    are ready (a test's first plan or run should not wait for them to import torch)."""
    port = port or free_port()
    env = {**os.environ, "DESCENT_DATABASE_URL": f"sqlite:///{db}", "DESCENT_DATA_DIR": str(db.parent),
           "DESCENT_WORKERS": "2", "DESCENT_TORCH_THREADS": "1", "DESCENT_HOST": "127.0.0.1", "DESCENT_PORT": str(port),
           **env_overrides}
    log = open(db.parent / "server.log", "ab")  # kept beside the database, for a failing test's post-mortem
    process = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env={**env, "DESCENT_LOG_LEVEL": "INFO"},
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    SERVER_LOGS[base] = Path(log.name)

    def healthy():
        try:
            health = httpx.get(base + "/healthz", timeout=1)
            return health.status_code == 200 and (health.json()["status"], health.json()["planner"]) == ("ok", "ready")
        except httpx.HTTPError:
            return process.poll() is not None and pytest.fail("uvicorn exited at start")

    wait_for(healthy, timeout=90, interval=0.2)
    return process, base


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> str:
    """A real server process per test module, so that no module waits behind another's runs."""
    process, base = start_server(tmp_path_factory.mktemp("live") / "descent.db")
    yield base
    stop_server(process)


@pytest.fixture(scope="session")
def ray_instance():
    """One small local Ray instance for every test that needs one (starting it takes 7-30 s on two cores)."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024 * 1024, configure_logging=False,
             log_to_driver=False, job_config=ray.job_config.JobConfig(code_search_path=[str(ROOT)]))
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def ray_client(tmp_path_factory, data_dir, ray_instance) -> TestClient:
    """The in-process app with DESCENT_EXECUTOR=ray, on the session's Ray instance."""
    from app.main import create_app
    from app.settings import Settings

    db = tmp_path_factory.mktemp("raydb") / "descent.db"
    settings = Settings(database_url=f"sqlite:///{db}", data_dir=str(data_dir), executor="ray", torch_threads=1,
                        max_steps=100_000, max_parameters=1_000_000)
    with TestClient(create_app(settings)) as test_client:
        assert parts(test_client).pool.wait_ready(120)
        yield test_client


# the browser: Playwright driving Debian's Chromium (no browser download: `playwright install` is never called)
CHROMIUM = os.environ.get("DESCENT_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}; the test command installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh 1280x800 page; any uncaught JavaScript error fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    # note: the suite shares two cores with training workers, Ray and PostgreSQL; a field that htmx swaps in can
    # take several seconds to appear there, so waits are sized for a loaded machine, not Playwright's 5 s default
    page.set_default_timeout(30_000)
    expect.set_options(timeout=20_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == [], errors
