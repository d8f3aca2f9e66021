"""The sites' opening hours

Revision ID: 0009_opening_hours
Revises: 0008_merge
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009_opening_hours"
down_revision: Union[str, None] = "0008_merge"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "openingperiod",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.Column("closes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_openingperiod_site_id_site"),
        sa.PrimaryKeyConstraint("id", name="pk_openingperiod"),
    )
    with op.batch_alter_table("openingperiod", schema=None) as batch_op:
        batch_op.create_index("ix_openingperiod_site_id", ["site_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("openingperiod", schema=None) as batch_op:
        batch_op.drop_index("ix_openingperiod_site_id")
    op.drop_table("openingperiod")
