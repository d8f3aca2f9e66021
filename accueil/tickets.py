"""What agents do to tickets: call (next or chosen), recall, start, finish, no-show, transfer, cancel.

Every change is a conditional UPDATE on the state read, whose row count is checked, so
two agents can never both win the same ticket, whatever the engine.
"""
from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from accueil import needs
from accueil.clock import as_utc, service_day
from accueil.errors import (
    AlreadyTaken,
    DeskBusy,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NothingToCall,
    ZoneFull,
)
from accueil.history import log_transition
from accueil.i18n import N_
from accueil.ids import is_row_id
from accueil.lifecycle import CALLED, SERVING, STATUS_LABELS, WAITING, next_status, sources
from accueil.models import (
    DESKS,
    RESERVED_WAITING,
    WAITING_ONLY,
    ZONE,
    Desk,
    DeskQueue,
    Queue,
    Site,
    Ticket,
    ticket_code,
)
from accueil.needs import APPOINTMENT_TIME_FIRST
from accueil.statements import Prepared

IN_HAND = (CALLED, SERVING)

def call_order(rule: str) -> tuple:
    """Return the ORDER BY of waiting tickets under a site's priority rule (accueil.needs).

    ``due_at`` is the appointment time, or the arrival for those without one.
    """
    due, prio, queued, tid = col(Ticket.due_at), col(Ticket.priority).desc(), col(Ticket.queued_at), col(Ticket.id)
    if rule == APPOINTMENT_TIME_FIRST:
        return (due, prio, queued, tid)
    return (prio, due, queued, tid)



_MAX_CLAIM_TRIES = 50


def _check_id(value: object, what: str) -> int:
    if not is_row_id(value):
        raise InvalidInput(N_("Identifiant invalide : %(what)s."), field=what, what=what)
    return value


def get_ticket(session: Session, site_id: int, ticket_id: int) -> Ticket:
    """Return the site's ticket, or NotFound (another site's ticket does not exist for you)."""
    ticket = session.get(Ticket, _check_id(ticket_id, "ticket"))
    if ticket is None or ticket.site_id != site_id:
        raise NotFound(N_("Ce ticket n'existe pas."))
    return ticket


def _lock_desk(session: Session, site_id: int, desk_id: int) -> Desk:
    desk = session.exec(
        select(Desk).where(Desk.id == _check_id(desk_id, "desk")).with_for_update()
    ).first()
    if desk is None or desk.site_id != site_id or not desk.active:
        raise NotFound(N_("Ce bureau n'existe pas."))
    return desk


# Built once (the call's statements): SQLAlchemy then only binds values to its cached SQL.
_IN_HAND_AT_DESK = (select(Ticket.letter, Ticket.number).join(Queue, Queue.id == Ticket.queue_id)
                    .where(Ticket.desk_id == bindparam("desk"), col(Ticket.status).in_(IN_HAND), Queue.kind == DESKS))


def _callable_queues(session: Session, desk: Desk, queues: list[Queue]) -> list[Queue]:
    """Keep the queues the desk may call from now; raise when none is left.

    A desk receives one visitor at a time from desk queues; a zone seats as many
    visitors as it has seats, whichever helper calls them.
    """
    in_hand = session.exec(_IN_HAND_AT_DESK, params={"desk": desk.id}).first()
    open_queues: list[Queue] = []
    full: Queue | None = None
    for queue in queues:
        if queue.kind == ZONE:
            session.exec(select(Queue.id).where(Queue.id == queue.id).with_for_update()).first()
            seated = session.exec(
                select(func.count()).select_from(Ticket).where(
                    Ticket.queue_id == queue.id, col(Ticket.status).in_(IN_HAND)
                )
            ).one()
            if seated >= (queue.seats or 0):
                full = full or queue
                continue
        elif in_hand is not None:
            continue
        open_queues.append(queue)
    if open_queues:
        return open_queues
    if in_hand is not None:
        raise DeskBusy(desk=desk.name, ticket=ticket_code(in_hand.letter, in_hand.number))
    if full is not None:
        raise ZoneFull(queue=full.name, seats=full.seats or 0)
    raise NothingToCall()


_SERVED_QUEUES = (select(Queue).join(DeskQueue, DeskQueue.queue_id == Queue.id)
                  .where(DeskQueue.desk_id == bindparam("desk"), Queue.active == True)  # noqa: E712
                  .order_by(Queue.id))


def _served_queues(session: Session, desk: Desk) -> list[Queue]:
    return list(session.exec(_SERVED_QUEUES, params={"desk": desk.id}).all())


_CLAIM = (update(Ticket)
          .where(Ticket.id == bindparam("ticket"), Ticket.status == WAITING)
          .values(status=CALLED, desk_id=bindparam("desk"), agent_id=bindparam("agent"), called_at=bindparam("now")))


def _claim(session: Session, ticket_id: int, desk: Desk, agent_id: int | None, now: datetime) -> bool:
    session.flush()
    result = session.connection().execute(_CLAIM, {"ticket": ticket_id, "desk": desk.id, "agent": agent_id, "now": now})
    return result.rowcount == 1


def _after_claim(session: Session, ticket_id: int, agent_id: int | None, now: datetime) -> Ticket:
    ticket = session.get(Ticket, ticket_id, populate_existing=True)  # the row as the claim left it
    log_transition(session, ticket, "call", WAITING, now, agent_id)
    return ticket


def _reserved_for(with_agent: bool):
    """Tickets whose appointment is assigned to this desk or (*with_agent*) this agent."""
    clauses = [Ticket.reserved_desk_id == bindparam("desk")]
    if with_agent:
        clauses.append(Ticket.reserved_agent_id == bindparam("agent"))
    return or_(*clauses)


def _unreserved():
    """Tickets any desk may call: not assigned, or their assigned desk or agent has had its time."""
    return or_(
        and_(col(Ticket.reserved_desk_id).is_(None), col(Ticket.reserved_agent_id).is_(None)),
        col(Ticket.reserved_until) <= bindparam("now"),
    )


# A need goes only to a desk with every matching capability.
_CAPABLE = col(Ticket.needs).op("&")(bindparam("lacking")) == 0


@functools.cache
def _mine_first(rule: str, with_agent: bool):
    """The first waiting ticket kept for this desk or agent, in the rule's order (a few a day: ix_ticket_reserved)."""
    return (
        select(Ticket.id)
        .where(Ticket.site_id == bindparam("site"), Ticket.service_day == bindparam("day"), text(RESERVED_WAITING),
               # « + 0 »: SQLite would otherwise walk a queue's whole waiting index for the few kept ones.
               (col(Ticket.queue_id) + 0).in_(bindparam("queues", expanding=True)), _reserved_for(with_agent),
               _CAPABLE)
        .order_by(*call_order(rule))
        .limit(1)
        .with_for_update(skip_locked=True)
    )


@functools.cache
def _queue_first(rule: str):
    """The first ticket of one queue any desk may call, in the rule's order: the first entries of its
    index (ix_ticket_next_*), whatever the size of the waiting room. Returns the columns of the order."""
    order = call_order(rule)
    return (
        select(Ticket.id, Ticket.priority, Ticket.due_at, Ticket.queued_at)
        .where(Ticket.site_id == bindparam("site"), Ticket.service_day == bindparam("day"), text(WAITING_ONLY),
               Ticket.queue_id == bindparam("queue"), _unreserved(), _CAPABLE)
        .order_by(*order)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def _rank(rule: str):
    """The sort key of a row of ``_queue_first``: the same order as ``call_order``, in Python."""
    if rule == APPOINTMENT_TIME_FIRST:
        return lambda row: (row.due_at, -row.priority, row.queued_at, row.id)
    return lambda row: (-row.priority, row.due_at, row.queued_at, row.id)


def _next_candidate(conn, rule: str, params: dict) -> int | None:
    """The id of the ticket a desk calls next, or None.

    Kept for this desk or agent first; then the best of each queue's first, compared in the
    rule's order: one short indexed read per queue, not a sort of the waiting room.
    """
    mine = conn.execute(_mine_first(rule, params["agent"] is not None), params).scalar()
    if mine is not None:
        return mine
    firsts = [row for queue_id in params["queues"]
              if (row := conn.execute(_queue_first(rule), params | {"queue": queue_id}).first()) is not None]
    return min(firsts, key=_rank(rule)).id if firsts else None


_SITE_RULE = Prepared(sa_select(Site.timezone, Site.priority_rule).where(Site.id == bindparam("site")))


def call_next(
    session: Session, *, site_id: int, desk_id: int, agent_id: int | None = None, now: datetime,
    desk: Desk | None = None,
) -> Ticket:
    """Call the first waiting ticket of the queues *desk_id* serves, or raise NothingToCall.

    Order: the site's priority rule (accueil.needs); a ticket with needs goes only to a
    desk that has the matching capabilities (an agent may still call it by choice).

    Appointments assigned to this desk or agent come first; those assigned to another
    desk or agent wait for them until their reservation ends.

    *desk*: the desk's row as the caller locked it in this transaction (``desks.caller_desk``),
    not read again.
    """
    now = as_utc(now)
    if desk is None or desk.id != desk_id or desk.site_id != site_id:
        desk = _lock_desk(session, site_id, desk_id)
    site = _SITE_RULE.first(session.connection(), {"site": site_id})
    queues = _callable_queues(session, desk, _served_queues(session, desk))
    day = service_day(now, site.timezone)
    params = {"site": site_id, "day": day, "queues": [q.id for q in queues], "desk": desk.id, "agent": agent_id,
              "now": now, "lacking": needs.ALL & ~desk.capabilities}
    conn = session.connection()
    for _ in range(_MAX_CLAIM_TRIES):
        candidate = _next_candidate(conn, site.priority_rule, params)
        if candidate is None:
            raise NothingToCall()
        if _claim(session, candidate, desk, agent_id, now):
            return _after_claim(session, candidate, agent_id, now)
    raise NothingToCall()


def call_ticket(
    session: Session, *, site_id: int, ticket_id: int, desk_id: int, agent_id: int | None = None, now: datetime
) -> Ticket:
    """Call a chosen waiting ticket of the site to *desk_id*, out of order."""
    now = as_utc(now)
    desk = _lock_desk(session, site_id, desk_id)
    ticket = get_ticket(session, site_id, ticket_id)
    if ticket.status in IN_HAND:
        raise AlreadyTaken(ticket=ticket.code)
    next_status("call", ticket.status, ticket.code)
    _callable_queues(session, desk, [session.get(Queue, ticket.queue_id)])
    if _claim(session, ticket.id, desk, agent_id, now):
        return _after_claim(session, ticket.id, agent_id, now)
    session.refresh(ticket)
    if ticket.status in IN_HAND:
        raise AlreadyTaken(ticket=ticket.code)
    raise InvalidTransition(ticket=ticket.code, status=STATUS_LABELS[ticket.status])


def _transition(
    session: Session,
    action: str,
    *,
    site_id: int,
    ticket_id: int,
    desk_id: int | None,
    agent_id: int | None,
    now: datetime,
    values: dict | None = None,
) -> Ticket:
    now = as_utc(now)
    ticket = get_ticket(session, site_id, ticket_id)
    before = ticket.status
    after = next_status(action, before, ticket.code)
    if desk_id is not None and before in IN_HAND and ticket.desk_id != desk_id:
        raise InvalidInput(N_("Le ticket %(ticket)s est suivi par un autre bureau."), field="desk", ticket=ticket.code)
    result = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == before, col(Ticket.status).in_(sources(action)))
        .values(status=after, **(values or {}))
    )
    session.refresh(ticket)
    if result.rowcount != 1:  # someone else changed it between our read and our write
        raise InvalidTransition(ticket=ticket.code, status=STATUS_LABELS[ticket.status])
    log_transition(session, ticket, action, before, now, agent_id)
    return ticket


def recall(session: Session, *, site_id: int, ticket_id: int, desk_id: int | None = None,
           agent_id: int | None = None, now: datetime) -> Ticket:
    """Call the ticket again (announced again on the display)."""
    return _transition(session, "recall", site_id=site_id, ticket_id=ticket_id, desk_id=desk_id,
                       agent_id=agent_id, now=now, values={"recalls": Ticket.recalls + 1})


def start(session: Session, *, site_id: int, ticket_id: int, desk_id: int | None = None,
          agent_id: int | None = None, now: datetime) -> Ticket:
    """The visitor has come: service begins."""
    return _transition(session, "start", site_id=site_id, ticket_id=ticket_id, desk_id=desk_id,
                       agent_id=agent_id, now=now, values={"started_at": as_utc(now)})


def finish(session: Session, *, site_id: int, ticket_id: int, desk_id: int | None = None,
           agent_id: int | None = None, now: datetime) -> Ticket:
    """Service is over."""
    return _transition(session, "finish", site_id=site_id, ticket_id=ticket_id, desk_id=desk_id,
                       agent_id=agent_id, now=now, values={"finished_at": as_utc(now)})


def no_show(session: Session, *, site_id: int, ticket_id: int, desk_id: int | None = None,
            agent_id: int | None = None, now: datetime) -> Ticket:
    """The visitor did not come when called."""
    return _transition(session, "no_show", site_id=site_id, ticket_id=ticket_id, desk_id=desk_id,
                       agent_id=agent_id, now=now, values={"finished_at": as_utc(now)})


def cancel(session: Session, *, site_id: int, ticket_id: int, desk_id: int | None = None,
           agent_id: int | None = None, now: datetime) -> Ticket:
    """The visitor left, or the ticket was issued by mistake."""
    return _transition(session, "cancel", site_id=site_id, ticket_id=ticket_id, desk_id=desk_id,
                       agent_id=agent_id, now=now, values={"finished_at": as_utc(now)})


def leave(session: Session, *, ticket: Ticket, now: datetime) -> Ticket:
    """The visitor leaves the queue from their page (« Je pars »): their ticket is cancelled, by them."""
    return _transition(session, "cancel", site_id=ticket.site_id, ticket_id=ticket.id, desk_id=None, agent_id=None,
                       now=now, values={"finished_at": as_utc(now), "left": True})


def transfer(session: Session, *, site_id: int, ticket_id: int, queue_id: int, desk_id: int | None = None,
             agent_id: int | None = None, now: datetime) -> Ticket:
    """Send the ticket to wait in another queue of the site; it keeps its number.

    It queues behind those already waiting there (it has been seen once), except that
    an appointment keeps its time when it goes to an appointment queue.
    """
    now = as_utc(now)
    ticket = get_ticket(session, site_id, ticket_id)
    target = session.get(Queue, _check_id(queue_id, "queue"))
    if target is None or target.site_id != site_id or not target.active:
        raise NotFound(N_("Cette file n'existe pas."))
    if target.id == ticket.queue_id and ticket.status == WAITING:
        raise InvalidInput(N_("Le ticket %(ticket)s attend déjà dans cette file."), field="queue", ticket=ticket.code)
    due_at = now
    if ticket.appointment_id is not None and target.purpose == "appointment":
        due_at = ticket.due_at
    return _transition(
        session, "transfer", site_id=site_id, ticket_id=ticket.id, desk_id=desk_id, agent_id=agent_id, now=now,
        values={"queue_id": target.id, "queued_at": now, "due_at": due_at, "desk_id": None, "agent_id": None,
                "called_at": None, "started_at": None},
    )
