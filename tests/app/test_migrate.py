"""A database written by the first version of Descent opens in this one: its runs, events and metrics intact."""

from __future__ import annotations

import json
import sqlite3

from fastapi.testclient import TestClient

from app.migrate import upgrade
from app.store import Base, Store

# the schema of the first release: no tags or stored chart view on runs, no comparisons or sweeps tables
OLD_SCHEMA = """
CREATE TABLE runs (id VARCHAR(32) PRIMARY KEY, name VARCHAR(200), status VARCHAR(16), config JSON,
  progress FLOAT, total_steps INTEGER, device VARCHAR(32), summary JSON, error TEXT, created DATETIME);
CREATE TABLE events (run_id VARCHAR(32) REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER, kind VARCHAR(16),
  data TEXT, PRIMARY KEY (run_id, seq));
"""
CONFIG = {"dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
          "optimizer": {"name": "adam", "params": {"lr": 0.01}}, "train": {"steps": 20, "eval_every": 10}}


def old_database(path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO runs VALUES ('0a1b2c3d4e5f', 'kept', 'completed', ?, 1.0, 20, 'cpu', ?, NULL, "
                   "'2026-01-02 03:04:05')", (json.dumps(CONFIG), json.dumps({"train_loss": 0.25})))
        for seq, (step, loss) in enumerate([(0, 0.7), (10, 0.4), (20, 0.25)], start=1):
            data = {"step": step, "epoch": step / 10, "time": step / 100, "values": {"train_loss": loss}}
            db.execute("INSERT INTO events VALUES ('0a1b2c3d4e5f', ?, 'metrics', ?)", (seq, json.dumps(data)))
        db.execute("INSERT INTO events VALUES ('0a1b2c3d4e5f', 4, 'done', ?)",
                   (json.dumps({"status": "completed", "summary": {"train_loss": 0.25}}),))


def test_upgrade_adds_the_new_columns_and_tables_once(tmp_path):
    old_database(tmp_path / "old.db")
    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    assert upgrade(store.engine, Base.metadata) == []  # the Store already upgraded it; a second pass adds nothing
    with sqlite3.connect(tmp_path / "old.db") as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"tags", "history"} <= columns and {"comparisons", "sweeps"} <= tables
    assert [r.id for r in store.list_runs()] == ["0a1b2c3d4e5f"]


def test_an_old_database_serves_its_runs_through_the_api(tmp_path, data_dir):
    from app.main import create_app
    from app.settings import Settings

    old_database(tmp_path / "old.db")
    # the session's data folder: the upload folder is per process, and other tests' uploads live there
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}", data_dir=str(data_dir), workers=1,
                        torch_threads=1)
    with TestClient(create_app(settings)) as client:
        run = client.get("/api/runs/0a1b2c3d4e5f").json()
        assert run["name"] == "kept" and run["status"] == "completed" and run["tags"] == []
        history = client.get("/api/runs/0a1b2c3d4e5f/history").json()
        assert history["series"]["train_loss"]["value"] == [0.7, 0.4, 0.25]
        csv = client.get("/api/runs/0a1b2c3d4e5f/metrics?format=csv").text.splitlines()
        assert len(csv) == 4  # header and the three points
        assert client.get("/runs/0a1b2c3d4e5f").status_code == 200
        assert client.get("/runs").status_code == 200
