"""Visitors' needs, desks' capabilities, the site's priority rule

Revision ID: 0005_needs
Revises: 0004_appointments
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005_needs"
down_revision: Union[str, None] = "0004_appointments"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority_rule", sa.String(length=10), nullable=False, server_default="first"))
    with op.batch_alter_table("desk", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capabilities", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needs", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("interpreter_language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("interpreter_language")
        batch_op.drop_column("needs")
    with op.batch_alter_table("desk", schema=None) as batch_op:
        batch_op.drop_column("capabilities")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("priority_rule")
