"""A desk's thermal slip printer (the assisted registration's printed ticket).

Revision ID: 0014_desk_printer
Revises: 0013_display_messages
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014_desk_printer"
down_revision: Union[str, None] = "0013_display_messages"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("desk", schema=None) as batch_op:
        batch_op.add_column(sa.Column("printer", sqlmodel.AutoString(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("desk", schema=None) as batch_op:
        batch_op.drop_column("printer")
