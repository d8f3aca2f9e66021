"""console: idempotency keys of the agents' console actions

Revision ID: 0004_console
Revises: 0003
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import accueil.types  # noqa: F401

revision: str = '0004_console'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('consoleaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('at', accueil.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], name='fk_consoleaction_agent_id_agent'),
    sa.PrimaryKeyConstraint('id', name='pk_consoleaction'),
    sa.UniqueConstraint('key', name='uq_consoleaction_key')
    )
    with op.batch_alter_table('consoleaction', schema=None) as batch_op:
        batch_op.create_index('ix_consoleaction_agent_id', ['agent_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consoleaction', schema=None) as batch_op:
        batch_op.drop_index('ix_consoleaction_agent_id')
    op.drop_table('consoleaction')
