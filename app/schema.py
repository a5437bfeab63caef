"""The database schema, kept current by Alembic (app/migrations/): upgraded at start-up, and by operators with
`python -m app db upgrade|current|history`."""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, inspect, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST_RELEASE = "0001"
# any fixed number: the key of the lock that keeps two servers starting on one PostgreSQL from both migrating
LOCK_KEY = 0x44455343


def config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # the ini syntax reads % as interpolation
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision`; a database from before Alembic is taken to be at the first release (the
    second migration adds only what it lacks)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        cfg = config(connection=connection)
        tables = set(inspect(connection).get_table_names())
        if "runs" in tables and "alembic_version" not in tables:
            command.stamp(cfg, FIRST_RELEASE)
        command.upgrade(cfg, revision)


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
