"""What a visitor may know about their ticket: position, an honest wait range, where to go.

The position counts the tickets waiting in the same queue that will be called before
this one, in the order ``accueil.tickets.call_order`` calls them under the site's rule. The wait is a range,
never a promise: the recent service times of the queue (their quartiles) divided among
the desks actually open (or the seats of a zone). With no desk open, there is no
estimate, and the page says so.

``public_status`` is the only view of a ticket sent to the visitor's page and socket:
it carries no personal data and no internal identifier.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from accueil.clock import as_utc, service_day
from accueil.lifecycle import CALLED, DONE, SERVING, WAITING
from accueil.models import ZONE, Appointment, Desk, DeskQueue, Queue, Site, Ticket
from accueil.tickets import call_order

DEFAULT_SERVICE = {"desks": timedelta(minutes=20), ZONE: timedelta(minutes=30)}
"""Assumed length of a visit while the day has too few finished visits to learn from."""
MIN_SAMPLES = 3
SAMPLES = 20
"""The estimate learns from the queue's last SAMPLES finished visits of the day."""
ROUND_TO = 5
"""Minutes: estimates are rounded outwards to this step (« entre 10 et 20 minutes »)."""
LONG_WAIT = 120
"""Minutes: beyond this, the page only says « plus de 2 heures »."""


@dataclass(frozen=True)
class Estimate:
    low: int
    """Minutes, a multiple of ROUND_TO."""
    high: int
    """Minutes, a multiple of ROUND_TO, at least low + ROUND_TO; at most LONG_WAIT (then `long`)."""
    long: bool = False
    """True: the wait is likely beyond LONG_WAIT minutes."""


def _queue_waiting(session: Session, queue_id: int, day: date, rule: str) -> list[int]:
    """Return the ids of the queue's waiting tickets, in the order they will be called."""
    return list(session.exec(
        select(Ticket.id)
        .where(Ticket.queue_id == queue_id, Ticket.service_day == day, Ticket.status == WAITING)
        .order_by(*call_order(rule))
    ).all())


def position(session: Session, ticket: Ticket) -> int | None:
    """Return how many tickets will be called before *ticket*, or None if it is not waiting."""
    if ticket.status != WAITING:
        return None
    rule = session.get(Site, ticket.site_id).priority_rule
    order = _queue_waiting(session, ticket.queue_id, ticket.service_day, rule)
    return order.index(ticket.id) if ticket.id in order else None


def _service_times(session: Session, queue_id: int, day: date) -> list[float]:
    """Return the last finished visits' lengths in minutes (start, or call, to finish)."""
    rows = session.exec(
        select(Ticket.called_at, Ticket.started_at, Ticket.finished_at)
        .where(Ticket.queue_id == queue_id, Ticket.service_day == day, Ticket.status == DONE,
               col(Ticket.finished_at).is_not(None))
        .order_by(col(Ticket.finished_at).desc())
        .limit(SAMPLES)
    ).all()
    times = []
    for called_at, started_at, finished_at in rows:
        begin = started_at or called_at
        if begin is not None and finished_at >= begin:
            times.append((finished_at - begin).total_seconds() / 60)
    return times


def _quartiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        k = (len(ordered) - 1) * q
        lo, hi = math.floor(k), math.ceil(k)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)

    return at(0.25), at(0.75)


def servers(session: Session, queue: Queue) -> int:
    """Return how many visitors the queue can receive at once now (0: nobody receives).

    Desks count when someone holds them and they are not paused; a zone counts its
    seats as long as one of its desks is held.
    """
    open_desks = session.exec(
        select(Desk.id)
        .join(DeskQueue, DeskQueue.desk_id == Desk.id)
        .where(DeskQueue.queue_id == queue.id, Desk.active == True,  # noqa: E712
               col(Desk.agent_id).is_not(None), col(Desk.paused_at).is_(None))
    ).all()
    if queue.kind == ZONE:
        return (queue.seats or 1) if open_desks else 0
    return len(open_desks)


def estimate(ahead: int, service_minutes: list[float], servers_open: int, kind: str) -> Estimate | None:
    """Return the wait range for someone with *ahead* people before them, or None if unknown.

    Each of *servers_open* desks takes one visitor at a time: before our turn come
    ``ahead // servers`` full rounds, plus the end of the visits in progress.
    """
    if servers_open <= 0 or ahead < 0:
        return None
    if len(service_minutes) >= MIN_SAMPLES:
        low_per, high_per = _quartiles(service_minutes)
    else:
        typical = DEFAULT_SERVICE.get(kind, DEFAULT_SERVICE["desks"]).total_seconds() / 60
        low_per, high_per = typical * 0.5, typical * 1.5
    low_per, high_per = max(low_per, 1.0), max(high_per, 1.0)
    rounds = ahead // servers_open
    low = math.floor(rounds * low_per / ROUND_TO) * ROUND_TO
    high = math.ceil((rounds + 1) * high_per / ROUND_TO) * ROUND_TO
    high = max(high, low + ROUND_TO)
    if low >= LONG_WAIT:
        return Estimate(LONG_WAIT, LONG_WAIT, long=True)
    return Estimate(low, min(high, LONG_WAIT), long=high > LONG_WAIT)


@dataclass(frozen=True)
class _QueueFacts:
    order: dict[int, int]  # ticket id -> position
    service_minutes: list[float]
    servers: int
    kind: str
    name: str
    letter: str


def _facts(session: Session, queue: Queue, day: date, rule: str) -> _QueueFacts:
    order = {tid: i for i, tid in enumerate(_queue_waiting(session, queue.id, day, rule))}
    return _QueueFacts(order, _service_times(session, queue.id, day), servers(session, queue), queue.kind,
                       queue.name, queue.letter)


def arrival_estimate(session: Session, queue: Queue, day: date, waiting_now: int) -> Estimate | None:
    """Return the wait range of someone joining *queue* now, behind its *waiting_now* tickets."""
    return estimate(waiting_now, _service_times(session, queue.id, day), servers(session, queue), queue.kind)


def _status(ticket: Ticket, facts: _QueueFacts, site: Site, desk_names: dict[int, str],
            appointment: Appointment | None) -> dict:
    ahead = facts.order.get(ticket.id) if ticket.status == WAITING else None
    est = estimate(ahead, facts.service_minutes, facts.servers, facts.kind) if ahead is not None else None
    return {
        "v": site.version,
        "code": ticket.code,
        "status": ticket.status,
        "place": facts.kind,  # "desks": the appointment desks; "zone": the espace numérique
        "queue": facts.name,
        "letter": facts.letter,  # the queue it waits in now (a transferred ticket keeps its code)
        "ahead": ahead,
        "estimate": None if est is None else {"low": est.low, "high": est.high, "long": est.long},
        "desk": desk_names.get(ticket.desk_id) if ticket.status in (CALLED, SERVING) else None,
        "recalls": ticket.recalls,
        "appointment_at": as_utc(appointment.at).isoformat() if appointment else None,
        "appointment_kind": appointment.kind if appointment else None,  # "phone": a call-back, not a visit
        "appointment_not_found": ticket.appointment_not_found,
        "day": ticket.service_day.isoformat(),
    }


def public_status(session: Session, ticket: Ticket) -> dict:
    """Return what the visitor's page shows of *ticket*, with the site's version as ``v``."""
    site = session.get(Site, ticket.site_id)
    session.refresh(site)
    return statuses(session, site, [ticket])[ticket.public_id]


def statuses(session: Session, site: Site, tickets: list[Ticket]) -> dict[str, dict]:
    """Return the public status of each of the site's *tickets*, keyed by their public id.

    Positions and estimates of one queue are computed once for all its tickets.
    """
    facts: dict[tuple[int, date], _QueueFacts] = {}
    desk_ids = {t.desk_id for t in tickets if t.desk_id}
    desk_names = dict(session.exec(select(Desk.id, Desk.name).where(col(Desk.id).in_(desk_ids))).all()) if desk_ids else {}
    appointment_ids = {t.appointment_id for t in tickets if t.appointment_id}
    appointments = {a.id: a for a in session.exec(
        select(Appointment).where(col(Appointment.id).in_(appointment_ids))).all()} if appointment_ids else {}
    result = {}
    for ticket in tickets:
        if ticket.site_id != site.id:
            continue
        key = (ticket.queue_id, ticket.service_day)
        if key not in facts:
            facts[key] = _facts(session, session.get(Queue, ticket.queue_id), ticket.service_day, site.priority_rule)
        result[ticket.public_id] = _status(ticket, facts[key], site, desk_names,
                                           appointments.get(ticket.appointment_id))
    return result


def ticket_by_public_id(session: Session, public_id: str | None) -> Ticket | None:
    """Return the ticket whose link secret is *public_id*, or None (never an error detail)."""
    if not isinstance(public_id, str) or not 16 <= len(public_id) <= 43:
        return None
    return session.exec(select(Ticket).where(Ticket.public_id == public_id)).first()

