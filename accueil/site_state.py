"""A site's live state at one version, read once and shared by every audience (display, phones, consoles, API).

Reading it costs a fixed handful of queries whatever the size of the waiting room: the
site (its version first), its queues, desks and their queues, the day's active tickets in
the order they will be called (one ordered query, from which every position follows), the
recent service times of every queue (one windowed query), the latest calls and the agents'
logins. Each live audience then derives its payloads from this picture in memory.

The version is read before the rows: the rows are then at least as new as the version,
never older (on PostgreSQL each statement sees the latest commits). A client that holds a
picture at version V and then receives an event newer than V applies it; an event it has
already folded into its picture does no harm, because payloads are states, not deltas.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from accueil.clock import as_utc, service_day
from accueil.lifecycle import ACTIVE, CALLED, DONE, SERVING, WAITING
from accueil.models import (
    ZONE,
    Agent,
    Appointment,
    Desk,
    DeskQueue,
    DisplayMessage,
    Queue,
    Site,
    Ticket,
    TicketTransition,
    ticket_code,
)
from accueil.tickets import call_order
from accueil.waiting import Estimator

SAMPLES = 20
"""Service-time estimates learn from each queue's last SAMPLES finished visits of the day."""
LAST_CALLS = 5
"""How many calls the waiting-room screen lists: the call in progress and four before it, each row whole."""
ANNOUNCED = ("called", "recalled")
"""Event kinds the waiting-room screen announces (chime, voice, flash)."""


@dataclass(frozen=True)
class CallRow:
    """One call or recall of the day, as the history records it (no personal data)."""

    code: str
    letter: str
    kind: str
    version: int
    at: datetime
    queue_id: int
    desk_id: int | None


_ACTIVE_FIELDS = ("id", "public_id", "letter", "number", "queue_id", "status", "desk_id", "recalls",
                  "appointment_not_found", "checklist")
"""What every audience needs of every active ticket: cheap columns (no date to parse, no blob)."""


class ActiveTicket:
    """An active ticket as the live audiences read it: a light copy of the columns they use.

    ``called_at`` and ``started_at`` are read for the tickets in hand only (the desks' states);
    what only the consoles show is read for the tickets they list (``accueil.console``).
    """

    __slots__ = (*_ACTIVE_FIELDS, "service_day", "called_at", "started_at")

    def __init__(self, values, day: date) -> None:
        (self.id, self.public_id, self.letter, self.number, self.queue_id, self.status, self.desk_id, self.recalls,
         self.appointment_not_found, self.checklist) = values[:10]
        self.service_day = day
        self.called_at = self.started_at = None

    @property
    def code(self) -> str:
        return ticket_code(self.letter, self.number)


@dataclass(frozen=True)
class ScreenMessage:
    """A message of the waiting-room screens: its words and, if any, the link shown as a QR code."""

    id: int
    text: str
    link: str | None


@dataclass(frozen=True)
class AppointmentTime:
    """What the live audiences show of an appointment: its time and kind."""

    at: datetime
    kind: str


@dataclass
class SiteState:
    """What a site looks like at ``version``; built by ``read``, then only read."""

    site_id: int
    version: int
    name: str
    timezone: str
    priority_rule: str
    day: date
    now: datetime
    queues: dict[int, Queue]
    """Every queue of the site, active or not (a ticket may still wait in a closed one)."""
    desks: dict[int, Desk]
    """The active desks, in id order."""
    desk_queues: dict[int, tuple[int, ...]]
    """Desk id -> the queues it calls from."""
    active: list[tuple[ActiveTicket, AppointmentTime | None]]
    """The day's waiting, called and serving tickets, in call order, with their appointment."""
    service_minutes: dict[int, list[float]]
    """Queue id -> the lengths (minutes) of its last finished visits of the day."""
    calls: list[CallRow]
    """The day's latest calls and recalls, newest first."""
    logins: dict[int, str]
    """Agent id -> login, for the consoles' desk list."""
    messages: tuple[ScreenMessage, ...] = ()
    """The screens' messages while nobody is called (accueil.configuration), in their order."""
    positions: dict[int, int] = field(default_factory=dict)
    """Ticket id -> how many tickets of its queue will be called before it (waiting tickets only)."""
    by_public_id: dict[str, ActiveTicket] = field(default_factory=dict)
    appointments: dict[int, AppointmentTime] = field(default_factory=dict)
    """Ticket id -> its appointment (active tickets only)."""
    waiting_per_queue: dict[int, int] = field(default_factory=dict)
    _estimators: dict[int, Estimator] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for ticket, appointment in self.active:
            self.by_public_id[ticket.public_id] = ticket
            if appointment is not None:
                self.appointments[ticket.id] = appointment
            if ticket.status == WAITING:
                ahead = self.waiting_per_queue.get(ticket.queue_id, 0)
                self.positions[ticket.id] = ahead
                self.waiting_per_queue[ticket.queue_id] = ahead + 1

    def servers(self, queue_id: int) -> int:
        """How many visitors the queue can receive at once now (0: nobody receives).

        Desks count when someone holds them and they are not paused; a zone counts its
        seats as long as one of its desks is held.
        """
        queue = self.queues.get(queue_id)
        if queue is None:
            return 0
        open_desks = sum(1 for desk_id, queue_ids in self.desk_queues.items()
                         if queue_id in queue_ids and self.desks[desk_id].agent_id is not None
                         and self.desks[desk_id].paused_at is None)
        if queue.kind == ZONE:
            return (queue.seats or 1) if open_desks else 0
        return open_desks

    def estimator(self, queue_id: int) -> Estimator:
        """The queue's wait ranges at this state (built once, for every phone of the queue)."""
        found = self._estimators.get(queue_id)
        if found is None:
            queue = self.queues.get(queue_id)
            found = self._estimators[queue_id] = Estimator(
                self.service_minutes.get(queue_id, []), self.servers(queue_id), queue.kind if queue else "desks")
        return found

    def active_queues(self) -> list[Queue]:
        return sorted((q for q in self.queues.values() if q.active), key=lambda q: q.letter)

    def desk_name(self, desk_id: int | None) -> str | None:
        desk = self.desks.get(desk_id) if desk_id is not None else None
        return desk.name if desk is not None else None

    def desk_directions(self, desk_id: int | None) -> str | None:
        desk = self.desks.get(desk_id) if desk_id is not None else None
        return desk.directions if desk is not None else None

    def in_hand(self) -> list[ActiveTicket]:
        return [t for t, _a in self.active if t.status in (CALLED, SERVING)]


def _service_minutes(session: Session, site_id: int, day: date) -> dict[int, list[float]]:
    """The last SAMPLES finished visits of every queue of the day, in one windowed query."""
    rank = func.row_number().over(partition_by=Ticket.queue_id, order_by=col(Ticket.finished_at).desc())
    recent = (
        sa_select(Ticket.queue_id, Ticket.called_at, Ticket.started_at, Ticket.finished_at, rank.label("rank"))
        .where(Ticket.site_id == site_id, Ticket.service_day == day, Ticket.status == DONE,
               col(Ticket.finished_at).is_not(None))
        .subquery()
    )
    rows = session.execute(
        sa_select(recent.c.queue_id, recent.c.called_at, recent.c.started_at, recent.c.finished_at)
        .where(recent.c.rank <= SAMPLES)
    ).all()
    result: dict[int, list[float]] = {}
    for queue_id, called_at, started_at, finished_at in rows:
        begin = started_at or called_at
        if begin is not None and finished_at >= begin:
            result.setdefault(queue_id, []).append((finished_at - begin).total_seconds() / 60)
    return result


def _calls(session: Session, site_id: int, day: date, limit: int) -> list[CallRow]:
    rows = session.exec(
        select(TicketTransition.kind, TicketTransition.version, TicketTransition.at, TicketTransition.queue_id,
               TicketTransition.desk_id, Ticket.letter, Ticket.number)
        .join(Ticket, Ticket.id == TicketTransition.ticket_id)
        .where(TicketTransition.site_id == site_id, TicketTransition.service_day == day,
               col(TicketTransition.kind).in_(ANNOUNCED))
        .order_by(col(TicketTransition.version).desc())
        .limit(limit)
    ).all()
    return [CallRow(ticket_code(letter, number), letter, kind, version, at, queue_id, desk_id)
            for kind, version, at, queue_id, desk_id, letter, number in rows]


_ACTIVE_STATEMENTS: dict[str, object] = {}
_IN_HAND = sa_select(Ticket.id, Ticket.called_at, Ticket.started_at).where(
    col(Ticket.id).in_(bindparam("ids", expanding=True)))


def _active_statement(rule: str):
    """The day's active tickets in call order under *rule*: built once per rule, then only bound."""
    statement = _ACTIVE_STATEMENTS.get(rule)
    if statement is None:
        statement = _ACTIVE_STATEMENTS[rule] = (
            sa_select(*(getattr(Ticket, name) for name in _ACTIVE_FIELDS), Appointment.at, Appointment.kind)
            .join(Appointment, Appointment.id == Ticket.appointment_id, isouter=True)
            .where(Ticket.site_id == bindparam("site"), Ticket.service_day == bindparam("day"),
                   col(Ticket.status).in_(ACTIVE))
            .order_by(*call_order(rule)))
    return statement


def read(session: Session, site_id: int, *, now: datetime, day: date | None = None) -> SiteState | None:
    """Read the site's state now (None if the site does not exist); *day* defaults to today there."""
    now = as_utc(now)
    site = session.get(Site, site_id, populate_existing=True)
    if site is None:
        return None
    version = site.version  # first: the rows read next are at least this new
    day = day or service_day(now, site.timezone)
    fresh = {"populate_existing": True}  # rows this session loaded before are read again, not reused
    queues = {q.id: q for q in session.exec(
        select(Queue).where(Queue.site_id == site_id).execution_options(**fresh)).all()}
    desks = {d.id: d for d in session.exec(
        select(Desk).where(Desk.site_id == site_id, Desk.active == True)  # noqa: E712
        .order_by(Desk.id).execution_options(**fresh)).all()}
    desk_queues: dict[int, list[int]] = {desk_id: [] for desk_id in desks}
    if desks:
        for desk_id, queue_id in session.exec(
                select(DeskQueue.desk_id, DeskQueue.queue_id).where(col(DeskQueue.desk_id).in_(list(desks)))).all():
            desk_queues[desk_id].append(queue_id)
    # Plain rows, not ORM objects: a waiting room of a thousand costs a few milliseconds to read.
    rows = session.execute(_active_statement(site.priority_rule), {"site": site_id, "day": day}).all()
    width = len(_ACTIVE_FIELDS)
    active = [(ActiveTicket(row, day), AppointmentTime(row[width], row[width + 1]) if row[width] else None)
              for row in rows]
    in_hand = {t.id: t for t, _a in active if t.status != WAITING}
    if in_hand:
        for ticket_id, called_at, started_at in session.execute(_IN_HAND, {"ids": list(in_hand)}):
            in_hand[ticket_id].called_at, in_hand[ticket_id].started_at = called_at, started_at
    logins = dict(session.exec(select(Agent.id, Agent.login).where(Agent.site_id == site_id)).all())
    messages = tuple(ScreenMessage(*row) for row in session.exec(
        select(DisplayMessage.id, DisplayMessage.text, DisplayMessage.link)
        .where(DisplayMessage.site_id == site_id).order_by(DisplayMessage.id)).all())
    return SiteState(
        site_id=site_id, version=version, name=site.name, timezone=site.timezone, priority_rule=site.priority_rule,
        day=day, now=now, queues=queues, desks=desks,
        desk_queues={k: tuple(v) for k, v in desk_queues.items()}, active=active,
        service_minutes=_service_minutes(session, site_id, day), calls=_calls(session, site_id, day, LAST_CALLS),
        logins=logins, messages=messages,
    )


class StateCache:
    """Each site's last state, reused while the site's version and day have not changed.

    Exact, not approximate: the version is bumped in the same transaction as every change
    the state reflects, so an unchanged version means unchanged rows. Thread-safe: a state
    is never modified once built, and swapping a dictionary entry is atomic.
    """

    def __init__(self) -> None:
        self._states: dict[int, SiteState] = {}

    def get(self, session: Session, site_id: int, *, now: datetime) -> SiteState | None:
        """Return the site's state now: one query when nothing changed since it was last read."""
        hit = self._states.get(site_id)
        if hit is not None:
            version = session.exec(select(Site.version).where(Site.id == site_id)).first()
            if version == hit.version and hit.day == service_day(now, hit.timezone):
                return hit
        state = read(session, site_id, now=now)
        if state is not None:
            self.put(state)
        return state

    def put(self, state: SiteState) -> None:
        current = self._states.get(state.site_id)
        if current is None or current.version <= state.version:
            self._states[state.site_id] = state
