"""Runs gain tags and a stored chart view; races (comparisons) and sweeps get their tables.

Before Alembic, app/migrate.py added these in place as each version needed them, so a database from then may
have some of them already: each is added only where it is missing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = sa.inspect(op.get_bind())
    columns = {column["name"] for column in present.get_columns("runs")}
    with op.batch_alter_table("runs") as runs:
        if "tags" not in columns:
            runs.add_column(sa.Column("tags", sa.JSON, nullable=False, server_default="[]"))
        if "history" not in columns:
            runs.add_column(sa.Column("history", sa.JSON))
    tables = set(present.get_table_names())
    if "comparisons" not in tables:
        op.create_table(
            "comparisons",
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("name", sa.String(200)),
            sa.Column("base", sa.JSON, nullable=False),
            sa.Column("variants", sa.JSON, nullable=False),
            sa.Column("run_ids", sa.JSON, nullable=False),
            sa.Column("labels", sa.JSON, nullable=False),
            sa.Column("mode", sa.String(16), nullable=False),
            sa.Column("reason", sa.Text),
            sa.Column("created", sa.DateTime, nullable=False),
        )
    if "sweeps" not in tables:
        op.create_table(
            "sweeps",
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("name", sa.String(200)),
            sa.Column("base", sa.JSON, nullable=False),
            sa.Column("space", sa.JSON, nullable=False),
            sa.Column("trials", sa.JSON, nullable=False),
            sa.Column("metric", sa.String(16), nullable=False),
            sa.Column("seed", sa.Integer, nullable=False),
            sa.Column("created", sa.DateTime, nullable=False),
        )


def downgrade() -> None:
    op.drop_table("sweeps")
    op.drop_table("comparisons")
    with op.batch_alter_table("runs") as runs:
        runs.drop_column("history")
        runs.drop_column("tags")
