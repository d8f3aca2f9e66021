"""The retention job: erase personal data once its time is up, keep the anonymous history."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from accueil import documents
from accueil.clock import as_utc, service_day
from accueil.models import AgentSession, Appointment, PushSubscription, Site, Ticket

ENDED_SESSIONS_KEPT = timedelta(days=1)
"""Ended agents' sessions are forgotten after this (a row per sign-in would otherwise pile up)."""


@dataclass(frozen=True)
class PurgeReport:
    tickets: int
    appointments: int


def last_expired_day(site: Site, now: datetime):
    """Return the last service day whose personal data has expired at *now*.

    Data of a day expires at the local midnight that ends it, plus the site's retention.
    """
    return service_day(as_utc(now) - timedelta(hours=site.retention_hours), site.timezone) - timedelta(days=1)


def purge(session: Session, *, now: datetime) -> PurgeReport:
    """Erase NIR, NIR hash, phone, push subscription and the link to its list of documents of every expired ticket,
    the appointments' NIR hash, and the link secret of every list of documents whose time is up."""
    now = as_utc(now)
    tickets = appointments = 0
    for site in session.exec(select(Site)).all():
        day = last_expired_day(site, now)
        tickets += session.execute(
            update(Ticket)
            .where(
                Ticket.site_id == site.id,
                Ticket.service_day <= day,
                or_(col(Ticket.nir_enc).is_not(None), col(Ticket.nir_hash).is_not(None),
                    col(Ticket.phone_enc).is_not(None), col(Ticket.checklist).is_not(None)),
            )
            .values(nir_enc=None, nir_hash=None, phone_enc=None, checklist=None, purged_at=now)
        ).rowcount
        session.execute(delete(PushSubscription).where(col(PushSubscription.ticket_id).in_(
            select(Ticket.id).where(Ticket.site_id == site.id, Ticket.service_day <= day))))
        appointments += session.execute(
            update(Appointment)
            .where(Appointment.site_id == site.id, Appointment.service_day <= day,
                   col(Appointment.nir_hash).is_not(None))
            .values(nir_hash=None)
        ).rowcount
    documents.expire(session, now=now)  # a list of documents outlives the day through its own link only, for a while
    session.execute(delete(AgentSession).where(col(AgentSession.ended_at).is_not(None),
                                               col(AgentSession.ended_at) < now - ENDED_SESSIONS_KEPT))
    return PurgeReport(tickets, appointments)
