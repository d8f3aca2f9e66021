"""Figures kept on each anonymous ticket for statistics

Revision ID: 0006_ticket_figures
Revises: 0005_needs
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import accueil.types

revision: str = "0006_ticket_figures"
down_revision: Union[str, None] = "0005_needs"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("arrival_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("first_called_at", accueil.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("wait_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("first_started_at", accueil.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("service_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for name in ("service_seconds", "first_started_at", "wait_seconds", "first_called_at", "arrival_hour"):
            batch_op.drop_column(name)
