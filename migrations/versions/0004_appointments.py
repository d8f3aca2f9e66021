"""Check-in window and appointments assigned to an agent or a desk

Revision ID: 0004_appointments
Revises: 0003
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import accueil.types

revision: str = "0004_appointments"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkin_early_minutes", sa.Integer(), nullable=False, server_default="30"))
        batch_op.add_column(sa.Column("checkin_late_minutes", sa.Integer(), nullable=False, server_default="15"))
        batch_op.add_column(sa.Column("assigned_wait_minutes", sa.Integer(), nullable=False, server_default="10"))
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("arrival_flag", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("reserved_desk_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reserved_agent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reserved_until", accueil.types.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key("fk_ticket_reserved_desk_id_desk", "desk", ["reserved_desk_id"], ["id"])
        batch_op.create_foreign_key("fk_ticket_reserved_agent_id_agent", "agent", ["reserved_agent_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_constraint("fk_ticket_reserved_agent_id_agent", type_="foreignkey")
        batch_op.drop_constraint("fk_ticket_reserved_desk_id_desk", type_="foreignkey")
        batch_op.drop_column("reserved_until")
        batch_op.drop_column("reserved_agent_id")
        batch_op.drop_column("reserved_desk_id")
        batch_op.drop_column("arrival_flag")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("assigned_wait_minutes")
        batch_op.drop_column("checkin_late_minutes")
        batch_op.drop_column("checkin_early_minutes")
