"""The office's look: its accent colour and its logo, shown on the kiosk, the display and the visitor's pages.

Revision ID: 0015_site_branding
Revises: 0014_desk_printer
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015_site_branding"
down_revision: Union[str, None] = "0014_desk_printer"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accent", sqlmodel.AutoString(length=7), nullable=True))
        batch_op.add_column(sa.Column("logo_version", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "sitelogo",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sqlmodel.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("site_id"),
    )


def downgrade() -> None:
    op.drop_table("sitelogo")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("logo_version")
        batch_op.drop_column("accent")
