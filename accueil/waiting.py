"""What a visitor may know about their ticket: position, an honest wait range, where to go.

The position counts the tickets waiting in the same queue that will be called before
this one, in the order ``accueil.tickets.call_order`` calls them under the site's rule. The wait is a range,
never a promise: the recent service times of the queue (their quartiles) divided among
the desks actually open (or the seats of a zone). With no desk open, there is no
estimate, and the page says so.

``accueil.audiences.phone_status`` applies these rules to a ticket for its visitor's page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from accueil.models import ZONE, Ticket

DEFAULT_SERVICE = {"desks": timedelta(minutes=20), ZONE: timedelta(minutes=30)}
"""Assumed length of a visit while the day has too few finished visits to learn from."""
MIN_SAMPLES = 3
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


def _quartiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        k = (len(ordered) - 1) * q
        lo, hi = math.floor(k), math.ceil(k)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)

    return at(0.25), at(0.75)


class Estimator:
    """A queue's wait ranges: the length of a visit (learnt once) and the desks open, for any position."""

    def __init__(self, service_minutes: list[float], servers_open: int, kind: str) -> None:
        self.servers = servers_open
        if len(service_minutes) >= MIN_SAMPLES:
            low_per, high_per = _quartiles(service_minutes)
        else:
            typical = DEFAULT_SERVICE.get(kind, DEFAULT_SERVICE["desks"]).total_seconds() / 60
            low_per, high_per = typical * 0.5, typical * 1.5
        self.low_per, self.high_per = max(low_per, 1.0), max(high_per, 1.0)

    def __call__(self, ahead: int) -> Estimate | None:
        """The wait range for someone with *ahead* people before them, or None if unknown.

        Each of the open desks takes one visitor at a time: before our turn come
        ``ahead // servers`` full rounds, plus the end of the visits in progress.
        """
        if self.servers <= 0 or ahead < 0:
            return None
        rounds = ahead // self.servers
        low = math.floor(rounds * self.low_per / ROUND_TO) * ROUND_TO
        high = math.ceil((rounds + 1) * self.high_per / ROUND_TO) * ROUND_TO
        high = max(high, low + ROUND_TO)
        if low >= LONG_WAIT:
            return Estimate(LONG_WAIT, LONG_WAIT, long=True)
        return Estimate(low, min(high, LONG_WAIT), long=high > LONG_WAIT)


def estimate(ahead: int, service_minutes: list[float], servers_open: int, kind: str) -> Estimate | None:
    """Return the wait range for someone with *ahead* people before them, or None if unknown."""
    return Estimator(service_minutes, servers_open, kind)(ahead)


def ticket_by_public_id(session: Session, public_id: str | None) -> Ticket | None:
    """Return the ticket whose link secret is *public_id*, or None (never an error detail)."""
    if not isinstance(public_id, str) or not 16 <= len(public_id) <= 43:
        return None
    return session.exec(select(Ticket).where(Ticket.public_id == public_id)).first()

