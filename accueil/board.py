"""What a waiting-room display may receive: the one rule, written once.

The display is public: whoever sits in the waiting room reads it. It receives ticket
numbers, queue letters and names, desk names and counts; never a ticket's secret link
(public_id), an internal id, a NIR, a phone number, a name or an appointment detail.
Every dictionary sent to a display is built here, from an explicit list of fields.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from accueil.clock import as_utc, service_day
from accueil.events import TicketEvent
from accueil.lifecycle import WAITING
from accueil.models import ZONE, Desk, Queue, Site, Ticket, TicketTransition
from accueil.waiting import arrival_estimate

LAST_CALLS = 6
"""How many calls a display lists (the newest is the call in progress)."""

ANNOUNCED = ("called", "recalled")
"""Event kinds a display announces (chime, voice, flash)."""

EVENT_KINDS = ("issued", "called", "recalled", "started", "finished", "no_show", "transferred", "cancelled")

CALL_FIELDS = ("key", "code", "letter", "place", "kind", "at", "time")
"""The only fields of a call a display receives."""


def _local_time(at: datetime, tz: str) -> str:
    return as_utc(at).astimezone(ZoneInfo(tz)).strftime("%H:%M")


def _place(queue: Queue | None, desk: Desk | None) -> str:
    """Where the visitor goes: the zone's name (« Espace numérique ») or the desk's (« Bureau 3 »)."""
    if queue is not None and queue.kind == ZONE:
        return queue.name
    if desk is not None:
        return desk.name
    return queue.name if queue is not None else ""


def _call(*, code: str, letter: str, kind: str, version: int, at: datetime, tz: str,
          queue: Queue | None, desk: Desk | None) -> dict:
    item = {
        "key": f"{code}:{version}",  # one per call or recall: a display announces each key once
        "code": code,
        "letter": letter,
        "place": _place(queue, desk),
        "kind": kind,
        "at": as_utc(at).isoformat(),
        "time": _local_time(at, tz),
    }
    return item


def waiting_counts(session: Session, site_id: int, day) -> list[dict]:
    """How many tickets wait in each active queue of the site on *day* (zeros included)."""
    counts = dict(
        session.exec(
            select(Ticket.queue_id, func.count())
            .where(Ticket.site_id == site_id, Ticket.service_day == day, Ticket.status == WAITING)
            .group_by(Ticket.queue_id)
        ).all()
    )
    queues = session.exec(
        select(Queue).where(Queue.site_id == site_id, Queue.active == True).order_by(Queue.letter)  # noqa: E712
    ).all()
    return [{"letter": q.letter, "name": q.name, "count": int(counts.get(q.id, 0))} for q in queues]


def last_calls(session: Session, site: Site, day, limit: int = LAST_CALLS) -> list[dict]:
    """The site's latest calls and recalls of *day*, newest first."""
    rows = session.exec(
        select(TicketTransition, Ticket.letter, Ticket.number, Queue, Desk)
        .join(Ticket, Ticket.id == TicketTransition.ticket_id)
        .join(Queue, Queue.id == TicketTransition.queue_id)
        .outerjoin(Desk, Desk.id == TicketTransition.desk_id)
        .where(
            TicketTransition.site_id == site.id,
            TicketTransition.service_day == day,
            col(TicketTransition.kind).in_(ANNOUNCED),
        )
        .order_by(col(TicketTransition.version).desc())
        .limit(limit)
    ).all()
    return [
        _call(code=f"{letter}{number:03d}", letter=letter, kind=tr.kind, version=tr.version, at=tr.at,
              tz=site.timezone, queue=queue, desk=desk)
        for tr, letter, number, queue, desk in rows
    ]


def snapshot(session: Session, site_id: int, *, now: datetime, limit: int = LAST_CALLS) -> dict:
    """The full public state of a site's display, with the site's version as ``v``.

    Read in one transaction: on SQLite the version and the rows come from one state.
    """
    site = session.get(Site, site_id)
    day = service_day(now, site.timezone)
    return {
        "v": site.version,
        "site": site.name,
        "tz": site.timezone,
        "now": as_utc(now).isoformat(),
        "calls": last_calls(session, site, day, limit),
        "waiting": waiting_counts(session, site.id, day),
    }


def queue_state(session: Session, site_id: int, *, now: datetime, limit: int = LAST_CALLS) -> dict:
    """The public state of a site's queues for integrations: the display's counts and calls, and a wait range.

    The range is the one a visitor joining the queue now would read on their ticket page.
    """
    site = session.get(Site, site_id)
    day = service_day(now, site.timezone)
    queues = {q.letter: q for q in session.exec(select(Queue).where(Queue.site_id == site_id)).all()}
    rows = []
    for item in waiting_counts(session, site_id, day):
        est = arrival_estimate(session, queues[item["letter"]], day, item["count"])
        rows.append(item | {"estimate": None if est is None else {"low": est.low, "high": est.high, "long": est.long}})
    return {"v": site.version, "site": site.name, "tz": site.timezone, "now": as_utc(now).isoformat(),
            "queues": rows, "calls": last_calls(session, site, day, limit)}


def display_payload(session: Session, event: TicketEvent) -> dict:
    """Turn a committed ticket event into what a display may receive.

    Every event of the site gives a payload (the display's versions stay contiguous);
    calls and recalls carry the call to show and announce, every payload the counts.
    """
    site = session.get(Site, event.site_id)
    day = service_day(event.at, site.timezone)
    payload = {
        "v": event.version,
        "kind": event.kind if event.kind in EVENT_KINDS else "changed",
        "waiting": waiting_counts(session, site.id, day),
    }
    if event.kind in ANNOUNCED:
        queue = session.get(Queue, event.queue_id)
        desk = session.get(Desk, event.desk_id) if event.desk_id is not None else None
        payload["call"] = _call(code=event.code, letter=event.code[:1], kind=event.kind, version=event.version,
                                at=event.at, tz=site.timezone, queue=queue, desk=desk)
    return payload
