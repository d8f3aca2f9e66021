"""Ticket numbers: a counter row per site, queue and service day, bumped atomically."""
from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from accueil.models import Counter
from accueil.statements import Prepared


def _upsert(insert):
    return (
        insert(Counter)
        .values(site_id=bindparam("site"), queue_id=bindparam("queue"), service_day=bindparam("day"), last=1)
        .on_conflict_do_update(index_elements=["site_id", "queue_id", "service_day"], set_={"last": Counter.last + 1})
        .returning(Counter.last)
    )


# Built once per dialect (both speak INSERT … ON CONFLICT DO UPDATE … RETURNING).
_UPSERT = {"postgresql": Prepared(_upsert(postgresql.insert)), "sqlite": Prepared(_upsert(sqlite.insert))}


def next_number(session: Session, site_id: int, queue_id: int, day: date) -> int:
    """Return the next number of the queue for *day* (1, 2, …), in the caller's transaction.

    One upsert with RETURNING: the counter row's lock serialises concurrent issuers on
    both engines, and a rollback gives the number back.
    """
    connection = session.connection()
    return _UPSERT[connection.dialect.name].scalar(connection, {"site": site_id, "queue": queue_id, "day": day})
