"""Messages to visitors (the outbox, the browsers subscribed to Web Push), their language and channels on the ticket, when « bientôt » goes,
how to find each desk, tickets their visitor gave up (« Je pars »), one ticket per check-in form.

Revision ID: 0012_notices
Revises: 0011_ticket_surveyed
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

from accueil.types import UTCDateTime

revision: str = "0012_notices"
down_revision: Union[str, None] = "0011_ticket_surveyed"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_soon_people", sa.Integer(), nullable=False, server_default="2"))
        batch_op.add_column(sa.Column("notify_soon_minutes", sa.Integer(), nullable=False, server_default="5"))
        batch_op.add_column(sa.Column("notify_no_show", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("desk", schema=None) as batch_op:
        batch_op.add_column(sa.Column("directions", sqlmodel.AutoString(length=120), nullable=True))
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sqlmodel.AutoString(length=8), nullable=False, server_default="fr"))
        batch_op.add_column(sa.Column("reach", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("left", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("form_key", sqlmodel.AutoString(length=32), nullable=True))
        batch_op.create_index("uq_ticket_form_key", ["site_id", "form_key"], unique=True)
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.AutoString(length=10), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.AutoString(length=5), nullable=False),
        sa.Column("locale", sqlmodel.AutoString(length=8), nullable=False),
        sa.Column("code", sqlmodel.AutoString(length=8), nullable=False),
        sa.Column("desk", sqlmodel.AutoString(length=40), nullable=True),
        sa.Column("directions", sqlmodel.AutoString(length=120), nullable=True),
        sa.Column("status", sqlmodel.AutoString(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sqlmodel.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "kind", "round", "channel"),
    )
    op.create_table(
        "pushsubscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("data_enc", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index("ix_notice_due", ["status", "next_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_service_day"), ["service_day"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pushsubscription")
    op.drop_table("notice")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("uq_ticket_form_key")
        batch_op.drop_column("form_key")
        batch_op.drop_column("left")
        batch_op.drop_column("reach")
        batch_op.drop_column("locale")
    with op.batch_alter_table("desk", schema=None) as batch_op:
        batch_op.drop_column("directions")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("notify_no_show")
        batch_op.drop_column("notify_soon_minutes")
        batch_op.drop_column("notify_soon_people")
