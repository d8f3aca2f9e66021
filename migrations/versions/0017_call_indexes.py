"""The call's indexes: the next ticket of a queue found in the waiting tickets' own indexes (not by
sorting the waiting room); a check-in writes fewer index entries; an agent's action forgets their old
action keys by a range of an index.

Revision ID: 0017_call_indexes
Revises: 0016_documents
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0017_call_indexes"
down_revision: Union[str, None] = "0016_documents"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WAITING_ONLY = "status = 'waiting'"
RESERVED_WAITING = f"{WAITING_ONLY} AND (reserved_desk_id IS NOT NULL OR reserved_agent_id IS NOT NULL)"


def _partial(where: str) -> dict:
    return {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}


def upgrade() -> None:
    op.create_index("ix_ticket_next_priority_first", "ticket",
                    ["site_id", "service_day", "queue_id", sa.text("priority DESC"), "due_at", "queued_at", "id"],
                    **_partial(WAITING_ONLY))
    op.create_index("ix_ticket_next_time_first", "ticket",
                    ["site_id", "service_day", "queue_id", "due_at", sa.text("priority DESC"), "queued_at", "id"],
                    **_partial(WAITING_ONLY))
    op.create_index("ix_ticket_reserved", "ticket", ["site_id", "service_day", "status"],
                    **_partial(RESERVED_WAITING))
    op.drop_index("ix_ticket_desk_id", table_name="ticket")
    op.create_index("ix_ticket_desk_id", "ticket", ["desk_id"], **_partial("desk_id IS NOT NULL"))
    op.drop_index("ix_tickettransition_site_id", table_name="tickettransition")
    op.drop_index("ix_tickettransition_service_day", table_name="tickettransition")
    op.create_index("ix_tickettransition_site_day", "tickettransition", ["site_id", "service_day", "version"])
    op.drop_index("ix_consoleaction_agent_id", table_name="consoleaction")
    op.create_index("ix_consoleaction_agent_at", "consoleaction", ["agent_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_consoleaction_agent_at", table_name="consoleaction")
    op.create_index("ix_consoleaction_agent_id", "consoleaction", ["agent_id"])
    op.drop_index("ix_tickettransition_site_day", table_name="tickettransition")
    op.create_index("ix_tickettransition_service_day", "tickettransition", ["service_day"])
    op.create_index("ix_tickettransition_site_id", "tickettransition", ["site_id"])
    op.drop_index("ix_ticket_desk_id", table_name="ticket")
    op.create_index("ix_ticket_desk_id", "ticket", ["desk_id"])
    op.drop_index("ix_ticket_reserved", table_name="ticket")
    op.drop_index("ix_ticket_next_time_first", table_name="ticket")
    op.drop_index("ix_ticket_next_priority_first", table_name="ticket")
