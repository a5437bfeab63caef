"""Start-up: /healthz and the builder answer while the workers load PyTorch, and say "starting" until they can
take a run."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import parts


def test_healthz_and_the_builder_say_starting_until_the_workers_are_ready(tmp_path):
    from app.main import create_app
    from app.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'descent.db'}", data_dir=str(tmp_path), workers=1)
    with TestClient(create_app(settings)) as client:
        # a spawned worker takes over a second to import torch: the first answers come before it is ready
        early = client.get("/healthz")
        page = client.get("/")
        assert early.status_code == 200 and early.json()["status"] == "starting"
        assert early.json()["torch"].startswith("2.")
        assert page.status_code == 200 and 'id="workers-starting"' in page.text
        assert parts(client).pool.wait_ready(120)
        assert client.get("/healthz").json()["status"] == "ok"
        assert 'id="workers-starting"' not in client.get("/").text
