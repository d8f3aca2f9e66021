"""Record what changes a site: a ticket's transition (version, history row, event) or a site change."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from accueil import notices
from accueil.clock import as_utc
from accueil.events import SiteChanged, TicketEvent, record
from accueil.lifecycle import EVENT_KINDS
from accueil.models import Site, Ticket, TicketTransition
from accueil.statements import Prepared

_BUMP = Prepared(update(Site).where(Site.id == bindparam("site")).values(version=Site.version + 1)
                 .returning(Site.version))
_TRANSITION = Prepared(insert(TicketTransition))


def bump_version(session: Session, site_id: int, conn: Connection | None = None) -> int:
    """Increment and return the site's version (taken last, so its lock is held briefly)."""
    session.flush()  # the changes this version stands for are written before it
    return _BUMP.scalar(conn or session.connection(), {"site": site_id})


def site_changed(session: Session, site_id: int, now: datetime, kind: str = "configured") -> int:
    """Bump the site's version and queue the SiteChanged event published after commit (clients resync)."""
    version = bump_version(session, site_id)
    record(session, SiteChanged(site_id=site_id, version=version, at=as_utc(now), kind=kind))
    return version


def _figures(ticket: Ticket, action: str, now: datetime) -> dict:
    """Return the statistics fields *action* sets on the ticket (the first call, first contact, time served)."""
    if action == "call" and ticket.first_called_at is None:
        return {"first_called_at": now, "wait_seconds": round((now - ticket.arrived_at).total_seconds())}
    if action == "start" and ticket.first_started_at is None:
        return {"first_started_at": now}
    if action == "finish" and ticket.started_at is not None:
        served = round((now - ticket.started_at).total_seconds())
        return {"service_seconds": (ticket.service_seconds or 0) + served}
    return {}


_FIGURE_UPDATES: dict[tuple[str, ...], Prepared] = {}


def _write_figures(conn: Connection, ticket: Ticket, figures: dict) -> None:
    """Write *figures* on the ticket's row and on the loaded *ticket* as its stored state (no flush to come)."""
    names = tuple(sorted(figures))
    statement = _FIGURE_UPDATES.get(names)
    if statement is None:
        statement = _FIGURE_UPDATES[names] = Prepared(
            update(Ticket).where(Ticket.id == bindparam("ticket")).values({n: bindparam(f"new_{n}") for n in names}))
    statement.run(conn, {"ticket": ticket.id} | {f"new_{n}": v for n, v in figures.items()})
    for name, value in figures.items():
        set_committed_value(ticket, name, value)


def log_transition(
    session: Session,
    ticket: Ticket,
    action: str,
    from_status: str | None,
    now: datetime,
    agent_id: int | None = None,
) -> TicketEvent:
    """Write the history row of *action* on *ticket* and queue its event for after commit."""
    conn = session.connection()
    figures = _figures(ticket, action, now)
    if figures:
        _write_figures(conn, ticket, figures)
    version = bump_version(session, ticket.site_id, conn)
    kind = EVENT_KINDS[action]
    _TRANSITION.run(conn, {
        "ticket_id": ticket.id, "site_id": ticket.site_id, "service_day": ticket.service_day, "kind": kind,
        "from_status": from_status, "to_status": ticket.status, "queue_id": ticket.queue_id,
        "desk_id": ticket.desk_id, "agent_id": agent_id, "at": now, "version": version,
    })
    event = TicketEvent(
        kind=kind,
        site_id=ticket.site_id,
        version=version,
        ticket_id=ticket.id,
        public_id=ticket.public_id,
        code=ticket.code,
        status=ticket.status,
        queue_id=ticket.queue_id,
        desk_id=ticket.desk_id,
        at=now,
    )
    record(session, event)
    notices.on_transition(session, ticket, action, now)  # its message to the visitor, if one is due
    return event
