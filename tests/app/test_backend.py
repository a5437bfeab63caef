"""The database opens in the background (app/backend.py): the server answers before it is open, says why it is not,
answers 503 naming the database meanwhile, and serves once a retry opens it (a server started before its database)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import finish, parts, run_config, wait_for


def test_a_server_started_before_its_database_can_open_serves_once_it_can(tmp_path):
    from app.backend import RETRY_S
    from app.main import create_app
    from app.settings import Settings

    blocker = tmp_path / "volume"
    blocker.write_text("not a folder yet")  # the database's folder cannot be made: as a volume not mounted yet
    settings = Settings(database_url=f"sqlite:///{blocker}/descent.db", data_dir=str(tmp_path / "data"), workers=1,
                        torch_threads=1)
    with TestClient(create_app(settings)) as client:
        backend = client.app.state.backend
        wait_for(lambda: backend.problem, 30)
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "starting"
        assert health.json()["database"].startswith(f"retrying every {RETRY_S:g} s: ")
        assert "volume" in health.json()["database"]  # the reason names the path it could not make
        refused = client.post("/api/runs", json=run_config(train={"steps": 20}))
        assert refused.status_code == 503 and refused.headers["Retry-After"] == f"{RETRY_S:g}"
        assert refused.json()["detail"].startswith("the database is not open yet (")
        assert client.get("/api/runs").status_code == 503  # reads too: nothing is answered from a database not open
        builder = client.get("/")  # the form needs no database: it shows, saying why no run can start yet
        assert builder.status_code == 200
        assert "the database is not open yet" in builder.text and "volume" in builder.text

        blocker.unlink()  # the volume appears: the next try opens the database
        wait_for(lambda: client.get("/healthz").json()["database"] == "open", 30)
        assert parts(client).pool.wait_ready(120)
        created = client.post("/api/runs", json=run_config(train={"steps": 20}))
        assert created.status_code == 201, created.text
        assert finish(client, created.json()["id"])["status"] == "completed"
        assert [run["id"] for run in client.get("/api/runs").json()] == [created.json()["id"]]


def test_a_try_that_fails_after_the_workers_started_stops_them_before_the_next(tmp_path, monkeypatch):
    from app import backend
    from app.main import create_app
    from app.settings import Settings

    pools, tries = [], []
    build, start = backend.choose.build, backend.Sweeper.start

    def kept(*args, **kwargs):
        pools.append(build(*args, **kwargs))
        return pools[-1]

    def refusing_once(self):
        tries.append(self)
        if len(tries) == 1:
            raise RuntimeError("the database went away while the sweeps were read")
        start(self)

    monkeypatch.setattr(backend.choose, "build", kept)
    monkeypatch.setattr(backend.Sweeper, "start", refusing_once)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'descent.db'}", data_dir=str(tmp_path), workers=1,
                        torch_threads=1)
    with TestClient(create_app(settings)) as client:
        opened = parts(client)  # the second try
        assert len(pools) == 2 and opened.pool is pools[1]
        assert [w.process.is_alive() for w in pools[0].workers] == [False]  # the first try's worker is gone
        assert opened.pool.wait_ready(120)
        created = client.post("/api/runs", json=run_config(train={"steps": 20}))
        assert finish(client, created.json()["id"])["status"] == "completed"
