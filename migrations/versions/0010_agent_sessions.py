"""Agents' sessions known to the server (revocable).

Revision ID: 0010_agent_sessions
Revises: 0009_opening_hours
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from accueil.types import UTCDateTime

revision: str = "0010_agent_sessions"
down_revision: Union[str, None] = "0009_opening_hours"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "agentsession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name="fk_agentsession_agent_id_agent"),
        sa.PrimaryKeyConstraint("id", name="pk_agentsession"),
        sa.UniqueConstraint("key_hash", name="uq_agentsession_key_hash"),
    )
    with op.batch_alter_table("agentsession", schema=None) as batch_op:
        batch_op.create_index("ix_agentsession_agent_id", ["agent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agentsession", schema=None) as batch_op:
        batch_op.drop_index("ix_agentsession_agent_id")
    op.drop_table("agentsession")
