"""« Pièces à fournir »: the documents a visitor is asked to provide, the site's catalogue changes and settings.

Revision ID: 0016_documents
Revises: 0015_site_branding
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

from accueil.types import UTCDateTime

revision: str = "0016_documents"
down_revision: Union[str, None] = "0015_site_branding"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("documents_days", sa.Integer(), nullable=False, server_default="30"))
        batch_op.add_column(sa.Column("documents_how", sqlmodel.AutoString(length=400), nullable=True))
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checklist", sqlmodel.AutoString(length=43), nullable=True))
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link", sqlmodel.AutoString(length=200), nullable=True))
    op.create_table(
        "documentkind",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.AutoString(length=40), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("name", sqlmodel.AutoString(length=80), nullable=True),
        sa.Column("description", sqlmodel.AutoString(length=160), nullable=True),
        sa.Column("pictogram", sqlmodel.AutoString(length=40), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "key"),
    )
    op.create_index(op.f("ix_documentkind_site_id"), "documentkind", ["site_id"], unique=False)
    op.create_table(
        "checklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret", sqlmodel.AutoString(length=43), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["queue_id"], ["queue.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret"),
    )
    op.create_index(op.f("ix_checklist_site_id"), "checklist", ["site_id"], unique=False)
    op.create_index(op.f("ix_checklist_service_day"), "checklist", ["service_day"], unique=False)
    op.create_table(
        "checklistitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.AutoString(length=40), nullable=False),
        sa.Column("phrase", sqlmodel.AutoString(length=20), nullable=True),
        sa.ForeignKeyConstraint(["checklist_id"], ["checklist.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_checklistitem_checklist_id"), "checklistitem", ["checklist_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_checklistitem_checklist_id"), table_name="checklistitem")
    op.drop_table("checklistitem")
    op.drop_index(op.f("ix_checklist_service_day"), table_name="checklist")
    op.drop_index(op.f("ix_checklist_site_id"), table_name="checklist")
    op.drop_table("checklist")
    op.drop_index(op.f("ix_documentkind_site_id"), table_name="documentkind")
    op.drop_table("documentkind")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_column("link")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("checklist")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("documents_how")
        batch_op.drop_column("documents_days")
