"""Alembic's environment: migrations run on the connection app.schema hands over, or on DESCENT_DATABASE_URL."""

from alembic import context
from sqlalchemy import create_engine

from app.schema import VERSION_TABLE, ours
from app.store import Base


def run(connection) -> None:
    # SQLite alters a table by copying it ("batch" mode); PostgreSQL alters in place. Optuna's tables (sweeps'
    # studies) share the database and are not ours to compare or migrate.
    context.configure(connection=connection, target_metadata=Base.metadata, version_table=VERSION_TABLE,
                      include_name=ours, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with create_engine(context.config.get_main_option("sqlalchemy.url")).connect() as connection:
        run(connection)
