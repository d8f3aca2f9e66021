"""Who works at which desk: take, release, pause, resume; the desks' states for supervisors.

One agent per desk and one desk per agent. Taking a desk someone else holds needs an
explicit confirmation; the caller learns whom it was taken from, to tell their console.
A desk calls nobody while paused or while nobody holds it (``caller_desk``).
Every change bumps the site's version with a ``SiteChanged`` of kind "desks": the desks
open change the visitors' wait estimates, and the consoles' lists of desks.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from accueil.clock import as_utc
from accueil.errors import DomainError, NotFound
from accueil.history import site_changed
from accueil.i18n import N_
from accueil.lifecycle import CALLED, SERVING
from accueil.models import Agent, Desk, Ticket

DESKS_CHANGED = "desks"
"""The kind of the SiteChanged event of a desk taken, left, paused or resumed."""

FREE = "free"
"""Someone holds the desk and has nobody in hand: ready to call."""
CALLING = "calling"
SERVING_STATE = "serving"
PAUSED = "paused"
CLOSED = "closed"
"""Nobody holds the desk."""

STATE_LABELS = {
    CLOSED: N_("fermé"),
    FREE: N_("libre"),
    CALLING: N_("appel en cours"),
    SERVING_STATE: N_("reçoit un visiteur"),
    PAUSED: N_("en pause"),
}


class DeskInUse(DomainError):
    """The desk is held by another agent; take it again with confirm=True."""

    code = "desk_in_use"
    message_id = N_("%(agent)s travaille déjà à ce bureau : %(desk)s. Confirmez pour le prendre.")


class NotYourDesk(DomainError):
    code = "not_your_desk"
    message_id = N_("Choisissez d'abord votre bureau.")


class DeskPaused(DomainError):
    code = "desk_paused"
    message_id = N_("Votre bureau est en pause. Reprenez pour appeler.")


@dataclass(frozen=True)
class Taken:
    desk: Desk
    previous_agent_id: int | None
    """The agent the desk was taken from (to tell their console), or None."""


@dataclass(frozen=True)
class DeskState:
    desk_id: int
    name: str
    state: str
    agent_id: int | None
    agent_login: str | None
    since: datetime | None
    tickets: tuple[str, ...]
    """The numbers in hand at the desk (called or being served)."""


def _desk(session: Session, site_id: int, desk_id: object, lock: bool = False) -> Desk:
    if isinstance(desk_id, bool) or not isinstance(desk_id, int) or desk_id <= 0:
        raise NotFound(N_("Ce bureau n'existe pas."))
    stmt = select(Desk).where(Desk.id == desk_id)
    if lock:
        stmt = stmt.with_for_update()
    desk = session.exec(stmt).first()
    if desk is None or desk.site_id != site_id or not desk.active:
        raise NotFound(N_("Ce bureau n'existe pas."))
    return desk


def _agent(session: Session, site_id: int, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id) if isinstance(agent_id, int) else None
    if agent is None or agent.site_id != site_id or not agent.active:
        raise NotFound(N_("Ce compte n'existe pas."))
    return agent


_HELD_BY = select(Desk).where(Desk.agent_id == bindparam("agent"), Desk.active == True)  # noqa: E712


def held_by(session: Session, agent_id: int) -> Desk | None:
    """Return the desk the agent holds, if any."""
    return session.exec(_HELD_BY, params={"agent": agent_id}).first()


def take(session: Session, *, site_id: int, desk_id: int, agent_id: int, confirm: bool = False,
         now: datetime) -> Taken:
    """Sit *agent_id* at *desk_id*, leaving any other desk they held.

    A desk another agent holds is only taken with *confirm*; otherwise DeskInUse.
    """
    now = as_utc(now)
    _agent(session, site_id, agent_id)
    desk = _desk(session, site_id, desk_id, lock=True)
    previous = desk.agent_id
    if previous == agent_id:
        return Taken(desk, None)
    if previous is not None and not confirm:
        other = session.get(Agent, previous)
        raise DeskInUse(agent=other.login if other else "?", desk=desk.name)
    for other_desk in session.exec(select(Desk).where(Desk.agent_id == agent_id, Desk.id != desk.id)).all():
        other_desk.agent_id, other_desk.taken_at, other_desk.paused_at = None, None, None
        session.add(other_desk)
    # Conditional on what was read: a concurrent taker makes this a no-op, reported as in use.
    result = session.execute(
        update(Desk)
        .where(Desk.id == desk.id, (Desk.agent_id == previous) if previous is not None else col(Desk.agent_id).is_(None))
        .values(agent_id=agent_id, taken_at=now, paused_at=None)
    )
    session.refresh(desk)
    if result.rowcount != 1:
        other = session.get(Agent, desk.agent_id) if desk.agent_id else None
        raise DeskInUse(agent=other.login if other else "?", desk=desk.name)
    site_changed(session, site_id, now, kind=DESKS_CHANGED)
    return Taken(desk, previous)


def _held(session: Session, site_id: int, desk_id: int, agent_id: int) -> Desk:
    desk = _desk(session, site_id, desk_id, lock=True)
    if desk.agent_id != agent_id:
        raise NotYourDesk()
    return desk


def release(session: Session, *, site_id: int, desk_id: int, agent_id: int, now: datetime) -> Desk:
    """The agent leaves the desk (tickets in hand stay with the desk)."""
    desk = _held(session, site_id, desk_id, agent_id)
    desk.agent_id, desk.taken_at, desk.paused_at = None, None, None
    session.add(desk)
    site_changed(session, site_id, now, kind=DESKS_CHANGED)
    return desk


def release_all(session: Session, *, agent_id: int, now: datetime) -> list[Desk]:
    """Free every desk the agent holds (on logout)."""
    desks = list(session.exec(select(Desk).where(Desk.agent_id == agent_id)).all())
    for desk in desks:
        desk.agent_id, desk.taken_at, desk.paused_at = None, None, None
        session.add(desk)
    for site_id in sorted({d.site_id for d in desks}):
        site_changed(session, site_id, now, kind=DESKS_CHANGED)
    session.flush()
    return desks


def pause(session: Session, *, site_id: int, desk_id: int, agent_id: int, now: datetime) -> Desk:
    """Stop calling at this desk until resume (the visitor in hand can still be served)."""
    now = as_utc(now)
    desk = _held(session, site_id, desk_id, agent_id)
    if desk.paused_at is None:
        desk.paused_at = now
        session.add(desk)
        site_changed(session, site_id, now, kind=DESKS_CHANGED)
    return desk


def resume(session: Session, *, site_id: int, desk_id: int, agent_id: int, now: datetime) -> Desk:
    desk = _held(session, site_id, desk_id, agent_id)
    if desk.paused_at is not None:
        desk.paused_at = None
        session.add(desk)
        site_changed(session, site_id, now, kind=DESKS_CHANGED)
    return desk


_CALLER_DESK = _HELD_BY.with_for_update()


def caller_desk(session: Session, *, site_id: int, agent_id: int) -> Desk:
    """Return the desk *agent_id* holds at the site, locked: only a desk held and not paused may call."""
    desk = session.exec(_CALLER_DESK, params={"agent": agent_id}).first()
    if desk is None:
        raise NotYourDesk()
    if desk.site_id != site_id:
        raise NotFound(N_("Ce bureau n'existe pas."))
    if desk.paused_at is not None:
        raise DeskPaused()
    return desk


def states(session: Session, *, site_id: int) -> list[DeskState]:
    """Every active desk of the site: state, who holds it, since when, tickets in hand."""
    desks = session.exec(select(Desk).where(Desk.site_id == site_id, Desk.active == True).order_by(Desk.id)).all()  # noqa: E712
    logins = dict(session.exec(select(Agent.id, Agent.login).where(Agent.site_id == site_id)).all())
    in_hand = session.exec(
        select(Ticket).where(Ticket.site_id == site_id, col(Ticket.status).in_((CALLED, SERVING)))
        .order_by(Ticket.called_at)
    ).all()
    return states_of(desks, logins, in_hand)


def states_of(desks, logins: dict[int, str], in_hand_tickets) -> list[DeskState]:
    """The desks' states from the desks (in order), the agents' logins and the tickets called or served."""
    in_hand: dict[int, list[Ticket]] = {}
    for ticket in sorted(in_hand_tickets, key=lambda t: (t.called_at is None, t.called_at or 0, t.id)):
        in_hand.setdefault(ticket.desk_id, []).append(ticket)
    result = []
    for desk in desks:
        held = in_hand.get(desk.id, [])
        serving = [t for t in held if t.status == SERVING]
        calling = [t for t in held if t.status == CALLED]
        if desk.paused_at is not None:
            state, since = PAUSED, desk.paused_at
        elif serving:
            state, since = SERVING_STATE, min(t.started_at for t in serving)
        elif calling:
            state, since = CALLING, min(t.called_at for t in calling)
        elif desk.agent_id is not None:
            state, since = FREE, desk.taken_at
        else:
            state, since = CLOSED, None
        result.append(DeskState(desk.id, desk.name, state, desk.agent_id, logins.get(desk.agent_id),
                                since, tuple(t.code for t in held)))
    return result
