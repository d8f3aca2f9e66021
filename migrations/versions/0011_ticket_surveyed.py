"""One survey answer per ticket: the ticket records that it was answered; and refused check-ins
with its NIR, for the agents.

Revision ID: 0011_ticket_surveyed
Revises: 0010_agent_sessions
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011_ticket_surveyed"
down_revision: Union[str, None] = "0010_agent_sessions"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("surveyed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("checkin_attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("checkin_attempts")
        batch_op.drop_column("surveyed")
