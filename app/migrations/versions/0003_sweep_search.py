"""Sweeps become Optuna studies: each keeps its sampler, pruner, planned trials and state in `search` (null for a
sweep from before, whose trials were all drawn at once)."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sweeps") as sweeps:
        sweeps.add_column(sa.Column("search", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("sweeps") as sweeps:
        sweeps.drop_column("search")
