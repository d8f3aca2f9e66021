"""The printed ticket of a visitor registered at the desk: what it holds, and nothing more.

The visitor leaves with their number, their queue, the time, the office's name and a QR code to
their ticket's live page (its secret link: the slip is theirs), and another to the list of documents they were
asked to provide, if any. No NIR, no phone number, no name.
"""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from accueil.clock import as_utc
from accueil.errors import NotFound
from accueil.i18n import N_
from accueil.models import Desk, Queue, Site
from accueil.tickets import get_ticket


@dataclass(frozen=True)
class Slip:
    office: str
    code: str
    letter: str
    number: int
    queue: str
    time: str
    """Local HH:MM of arrival, on the site's clock."""
    day: str
    """The service day, YYYY-MM-DD (the surface writes it in the reader's language)."""
    public_id: str
    """The ticket's link secret: the surface turns it into the address the QR code opens."""
    documents: str | None = None
    """The link secret of the documents the visitor was asked to provide today (accueil.documents), if any: a
    second QR code opens that list."""


def printer_of(session: Session, *, site_id: int, agent_id: int) -> str | None:
    """The address of the printer of the desk *agent_id* holds at the site, if the desk has one (the slip prints there)."""
    desk = session.exec(select(Desk).where(Desk.site_id == site_id, Desk.agent_id == agent_id)).first()
    return desk.printer if desk is not None else None


def slip_of(session: Session, *, site_id: int, ticket_id: int) -> Slip:
    """The slip of the site's ticket *ticket_id* (NotFound for another site's)."""
    ticket = get_ticket(session, site_id, ticket_id)
    site = session.get(Site, site_id)
    queue = session.get(Queue, ticket.queue_id)
    if site is None or queue is None:
        raise NotFound(N_("Ce ticket n'existe pas."))
    arrived = as_utc(ticket.arrived_at).astimezone(ZoneInfo(site.timezone))
    return Slip(office=site.name, code=ticket.code, letter=ticket.letter, number=ticket.number, queue=queue.name, time=arrived.strftime("%H:%M"),
                day=ticket.service_day.isoformat(), public_id=ticket.public_id, documents=ticket.checklist)
