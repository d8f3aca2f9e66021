"""The waiting-room screens' messages, shown in turn while nobody is being called.

Revision ID: 0013_display_messages
Revises: 0012_notices
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_display_messages"
down_revision: Union[str, None] = "0012_notices"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "displaymessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.AutoString(length=160), nullable=False),
        sa.Column("link", sqlmodel.AutoString(length=300), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("displaymessage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_displaymessage_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    op.drop_table("displaymessage")
