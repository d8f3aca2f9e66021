"""Ticket numbers: a counter row per site, queue and service day, bumped atomically."""
from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from accueil.models import Counter


def next_number(session: Session, site_id: int, queue_id: int, day: date) -> int:
    """Return the next number of the queue for *day* (1, 2, …), in the caller's transaction.

    One upsert with RETURNING: the counter row's lock serialises concurrent issuers on
    both engines, and a rollback gives the number back.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(Counter)
        .values(site_id=site_id, queue_id=queue_id, service_day=day, last=1)
        .on_conflict_do_update(
            index_elements=["site_id", "queue_id", "service_day"],
            set_={"last": Counter.last + 1},
        )
        .returning(Counter.last)
    )
    return session.execute(stmt).scalar_one()
