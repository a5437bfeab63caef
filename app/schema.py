"""The database schema, kept current by Alembic (app/migrations/): upgraded at start-up, and by operators with
`python -m app db upgrade|current|history`.

Optuna keeps its sweeps' studies in the same database with its own tables and its own Alembic, which records its
revision in `alembic_version`. So the app's revision lives in a table of its own (VERSION_TABLE), and the app's
migrations never look at Optuna's tables (a schema comparison would otherwise offer to drop them)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST_RELEASE = "0001"
VERSION_TABLE = "descent_schema_version"
# Optuna's RDB storage (optuna 5.0): a test checks this list against Optuna's own models
OPTUNA_TABLES = frozenset({
    "studies", "study_directions", "study_system_attributes", "study_user_attributes", "trial_heartbeats",
    "trial_intermediate_values", "trial_params", "trial_system_attributes", "trial_user_attributes", "trial_values",
    "trials", "version_info", "alembic_version"})


def ours(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name: every table but Optuna's."""
    return not (type_ == "table" and name in OPTUNA_TABLES)
# any fixed number: the key of the lock that keeps two servers starting on one PostgreSQL from both migrating
LOCK_KEY = 0x44455343


def config(url: str | None = None, connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # the ini syntax reads % as interpolation
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision`; a database from before Alembic is taken to be at the first release (the
    second migration adds only what it lacks)."""
    if revision == "head" and current(engine) == head():
        return  # the usual start: nothing to migrate, and Alembic (0.1-0.2 s to import) is not loaded
    from alembic import command

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        cfg = config(connection=connection)
        _find_revision(connection, cfg)
        command.upgrade(cfg, revision)


def head() -> str:
    """The newest migration's revision, read from the files without Alembic (a test holds it to Alembic's own)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text()
        revisions |= set(re.findall(r'^revision = "(\w+)"', source, re.M))
        parents |= set(re.findall(r'^down_revision = "(\w+)"', source, re.M))
    (newest,) = revisions - parents
    return newest


def current(engine: Engine) -> str | None:
    """The revision the database is at; None before its first migration."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def _find_revision(connection: Connection, cfg: Config) -> None:
    """Where a database without VERSION_TABLE stands: a release that kept the app's revision in `alembic_version`
    (where Optuna keeps its own) moves it over and frees that table; a database from before Alembic is at the
    first release."""
    from alembic import command
    from alembic.script import ScriptDirectory

    tables = set(inspect(connection).get_table_names())
    if VERSION_TABLE in tables:
        return
    if "alembic_version" in tables:
        kept = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if kept in {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}:
            command.stamp(cfg, kept)
            connection.execute(text("DROP TABLE alembic_version"))
            return
    if "runs" in tables:
        command.stamp(cfg, FIRST_RELEASE)


def main(argv: list[str], url: str) -> int:
    """`python -m app db ...`: Alembic's own commands, on the configured database."""
    parser = argparse.ArgumentParser(prog="python -m app db", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="bring the database to the newest schema (the server does it at start-up)")
    commands.add_parser("current", help="the revision the database is at")
    commands.add_parser("history", help="every revision, newest first")
    revision = commands.add_parser("revision", help="a new migration from the models' difference to the database")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    from alembic import command

    if args.command == "upgrade":
        from app.store import connect  # app.store upgrades through this module: imported late

        upgrade(connect(url))
    elif args.command == "current":
        command.current(config(url), verbose=True)
    elif args.command == "history":
        command.history(config(url), verbose=True)
    else:
        command.revision(config(url), message=args.message, autogenerate=True)
    return 0
