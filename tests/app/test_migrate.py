"""Alembic brings a database of any earlier version to the current schema, on SQLite and PostgreSQL: the first
release's runs, events and metrics read through the API after the upgrade the server does at start-up."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from app.schema import OPTUNA_TABLES, VERSION_TABLE, ours
from app.store import Base, Store, connect
from tests.conftest import ROOT

# the first release's tables, as its models made them with create_all (commit 6ba5e5d)
FIRST = sa.MetaData()
RUNS = sa.Table(
    "runs", FIRST,
    sa.Column("id", sa.String(32), primary_key=True), sa.Column("name", sa.String(200)),
    sa.Column("status", sa.String(16), nullable=False, index=True), sa.Column("config", sa.JSON, nullable=False),
    sa.Column("progress", sa.Float, nullable=False), sa.Column("total_steps", sa.Integer),
    sa.Column("device", sa.String(32)), sa.Column("summary", sa.JSON), sa.Column("error", sa.Text),
    sa.Column("created", sa.DateTime, nullable=False, index=True),
)
EVENTS = sa.Table(
    "events", FIRST,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True), sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
)
CONFIG = {"dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
          "optimizer": {"name": "adam", "params": {"lr": 0.01}}, "train": {"steps": 20, "eval_every": 10}}
RUN_ID = "0a1b2c3d4e5f"
HEAD = "0003"


def first_release_database(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    FIRST.create_all(engine)
    with engine.begin() as db:
        db.execute(RUNS.insert().values(id=RUN_ID, name="kept", status="completed", config=CONFIG, progress=1.0,
                                        total_steps=20, device="cpu", summary={"train_loss": 0.25},
                                        created=dt.datetime(2026, 1, 2, 3, 4, 5)))
        for seq, (step, loss) in enumerate([(0, 0.7), (10, 0.4), (20, 0.25)], start=1):
            data = {"step": step, "epoch": step / 10, "time": step / 100, "values": {"train_loss": loss}}
            db.execute(EVENTS.insert().values(run_id=RUN_ID, seq=seq, kind="metrics", data=json.dumps(data)))
        done = {"status": "completed", "summary": {"train_loss": 0.25}}
        db.execute(EVENTS.insert().values(run_id=RUN_ID, seq=4, kind="done", data=json.dumps(done)))
    return engine


def context(connection) -> MigrationContext:
    """Alembic's view of a database as app/migrations/env.py configures it (its version table, Optuna's left out)."""
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE, "include_name": ours})


def schema_differences(url: str) -> list:
    with connect(url).connect() as connection:
        return compare_metadata(context(connection), Base.metadata)


def test_the_first_release_upgrades_at_start_up_and_serves_its_runs(database_url, data_dir):
    from app.main import create_app
    from app.settings import Settings

    first_release_database(database_url).dispose()
    # the session's data folder: the upload folder is per process, and other tests' uploads live there
    settings = Settings(database_url=database_url, data_dir=str(data_dir), workers=1, torch_threads=1)
    with TestClient(create_app(settings)) as client:
        run = client.get(f"/api/runs/{RUN_ID}").json()
        assert run["name"] == "kept" and run["status"] == "completed" and run["tags"] == []
        history = client.get(f"/api/runs/{RUN_ID}/history").json()
        assert history["series"]["train_loss"]["value"] == [0.7, 0.4, 0.25]
        csv = client.get(f"/api/runs/{RUN_ID}/metrics?format=csv").text.splitlines()
        assert len(csv) == 4  # header and the three points
        assert client.get(f"/runs/{RUN_ID}").status_code == 200
        assert client.patch(f"/api/runs/{RUN_ID}", json={"tags": ["old"]}).json()["tags"] == ["old"]
    assert schema_differences(database_url) == []
    with connect(database_url).connect() as connection:
        assert context(connection).get_current_revision() == HEAD


def test_migrations_build_exactly_the_models_schema(database_url):
    Store(database_url)
    assert schema_differences(database_url) == []


def test_a_database_extended_in_place_before_alembic_gains_only_what_it_lacks(tmp_path):
    # app/migrate.py, before Alembic, added runs.tags in place; sweeps came later
    url = f"sqlite:///{tmp_path / 'between.db'}"
    engine = first_release_database(url)
    with engine.begin() as db:
        db.exec_driver_sql("ALTER TABLE runs ADD COLUMN tags JSON DEFAULT '[]' NOT NULL")
        db.exec_driver_sql(f"UPDATE runs SET tags = '[\"kept\"]' WHERE id = '{RUN_ID}'")
    store = Store(url)
    assert store.get_run(RUN_ID).tags == ["kept"] and schema_differences(url) == []


def test_the_db_command_upgrades_and_reports_the_revision(tmp_path):
    env = {**os.environ, "DESCENT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def db(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "app", "db", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    assert "Running upgrade 0001 -> 0002" in db("upgrade")
    assert f"{HEAD} (head)" in db("current")
    history = db("history")
    assert history.index("Rev: 0002") < history.index("Rev: 0001")


def test_a_database_of_the_first_alembic_release_moves_its_revision_and_leaves_alembic_version_to_optuna(tmp_path):
    """That release kept the app's revision in alembic_version, the table Optuna's own migrations use: Optuna
    then refused the database ("no longer compatible with the table schema"), and the app would not start on
    a database Optuna had stamped first."""
    import optuna

    from app.sweep_study import storage

    url = f"sqlite:///{tmp_path / 'release.db'}"
    Store(url)
    with connect(url).begin() as db:  # as that release left it: its revision in alembic_version
        db.exec_driver_sql(f"DROP TABLE {VERSION_TABLE}")
        db.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        db.exec_driver_sql("INSERT INTO alembic_version VALUES ('0002')")
        db.exec_driver_sql("ALTER TABLE sweeps DROP COLUMN search")
    Store(url)
    with connect(url).connect() as connection:
        assert context(connection).get_current_revision() == HEAD
    optuna.create_study(study_name="after", storage=storage(url))  # Optuna makes and stamps its own tables
    Store(url)  # and the app starts again beside them
    assert schema_differences(url) == []
    with connect(url).connect() as connection:
        assert {"studies", "alembic_version"} <= set(sa.inspect(connection).get_table_names())


def test_the_tables_left_to_optuna_are_optunas():
    from optuna.storages._rdb.models import BaseModel

    assert OPTUNA_TABLES == {*BaseModel.metadata.tables, "alembic_version"}
    assert not OPTUNA_TABLES & set(Base.metadata.tables)


def test_a_restart_on_a_current_database_skips_alembic(tmp_path):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from app.schema import MIGRATIONS, head

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert head() == ScriptDirectory.from_config(cfg).get_current_head() == HEAD  # read from the files alike
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    code = ("import sys; from app.store import Store; Store(sys.argv[1]); "
            "print('alembic' in sys.modules)")
    first, again = (subprocess.run([sys.executable, "-c", code, url], cwd=ROOT, capture_output=True, text=True,
                                   check=True).stdout.strip() for _ in range(2))
    assert (first, again) == ("True", "False")  # the first start migrates; a restart only reads the revision
