"""Tokens of the integrations using the JSON API

Revision ID: 0007_api_tokens
Revises: 0006_ticket_figures
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import accueil.types

revision: str = "0007_api_tokens"
down_revision: Union[str, None] = "0006_ticket_figures"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "apitoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scopes", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", accueil.types.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", accueil.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_apitoken_site_id_site"),
        sa.PrimaryKeyConstraint("id", name="pk_apitoken"),
        sa.UniqueConstraint("token_hash", name="uq_apitoken_token_hash"),
    )
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.create_index("ix_apitoken_site_id", ["site_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.drop_index("ix_apitoken_site_id")
    op.drop_table("apitoken")
