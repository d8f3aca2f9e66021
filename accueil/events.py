"""Domain events, published to subscribers only once the transaction that made them commits."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_PENDING = "accueil_pending_events"
_BUS = "accueil_bus"


@dataclass(frozen=True)
class TicketEvent:
    """Something that happened to a ticket. Holds no personal data."""

    kind: str  # issued, called, recalled, started, finished, no_show, transferred, cancelled
    site_id: int
    version: int
    ticket_id: int
    public_id: str  # the visitor room's key: for server-side routing only, never sent to a display
    code: str
    status: str
    queue_id: int
    desk_id: int | None
    at: datetime

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SiteChanged:
    """The site's configuration (kind "configured") or its appointments ("appointments") changed: clients resync."""

    site_id: int
    version: int
    at: datetime
    kind: str = "configured"


@dataclass(frozen=True)
class AccessEnded:
    """A party lost its right to live updates: every process closes its open sockets at once.

    ``party`` is "agent" (logged out, disabled, new password) or "device" (revoked); ``key``
    its id. Sent after the commit that ended the access (``record``), or published directly
    for a logout, which changes nothing in the database.
    """

    party: str
    key: int
    kind: str = "ended"


Subscriber = Callable[[TicketEvent], None]


class EventBus:
    """Hand committed events to subscribers (the socket layer, tests, statistics)."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[Callable, type]] = []

    def subscribe(self, fn: Subscriber, of: type | tuple[type, ...] = TicketEvent) -> Subscriber:
        """Call *fn* with each committed event of type *of* (a type or a tuple; ticket events unless told)."""
        self._subscribers.append((fn, of))
        return fn

    def unsubscribe(self, fn: Subscriber) -> None:
        self._subscribers = [(f, of) for f, of in self._subscribers if f is not fn]

    def publish(self, event: TicketEvent | SiteChanged | AccessEnded) -> None:
        for fn, of in list(self._subscribers):
            if not isinstance(event, of):
                continue
            try:
                fn(event)
            except Exception:  # a broken subscriber must not hide the event from the others
                log.exception("event subscriber failed on %s", event.kind)


def bind(session: Session, bus: EventBus) -> Session:
    """Make *session* publish its recorded events on *bus* after each commit."""
    session.info[_BUS] = bus
    return session


def record(session: Session, event: TicketEvent | SiteChanged | AccessEnded) -> None:
    """Queue *event* for publication when *session* commits; a rollback drops it."""
    session.info.setdefault(_PENDING, []).append(event)


@sa_event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    events = session.info.pop(_PENDING, [])
    bus = session.info.get(_BUS)
    if bus is None:
        return
    for ev in events:
        bus.publish(ev)


@sa_event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
