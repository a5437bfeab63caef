"""Additive schema upgrades: a database made by an older Descent gains the tables and columns added since.

Every change so far only added things (a table, a nullable column), which SQLite's ALTER TABLE ADD COLUMN covers;
so the stored runs of an earlier version open as they were, their new columns empty (NULL), which the code reads
as "not recorded" (no tags, no stored chart view). A change that renames or retypes a column needs a real
migration tool (Alembic) — none has been needed yet.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, MetaData, inspect
from sqlalchemy.schema import CreateColumn

log = logging.getLogger(__name__)


def upgrade(engine: Engine, metadata: MetaData) -> list[str]:
    """Create missing tables, add missing columns (nullable, or with a server default for the rows already
    there); return "table.column" for each added."""
    metadata.create_all(engine)
    present = inspect(engine)
    added = []
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            have = {column["name"] for column in present.get_columns(table.name)}
            for column in table.columns:
                if column.name in have:
                    continue
                if column.primary_key or not (column.nullable or column.server_default is not None):
                    raise RuntimeError(f"cannot add the required column {table.name}.{column.name} in place; "
                                       "this database needs a migration")
                spec = CreateColumn(column).compile(dialect=engine.dialect)
                connection.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN {spec}')
                added.append(f"{table.name}.{column.name}")
    if added:
        log.info("database upgraded: added %s", ", ".join(added))
    return added
