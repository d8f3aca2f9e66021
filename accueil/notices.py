"""Messages to visitors outside their page: when each is due, the outbox they wait in, and what became of them.

Three messages, each at most once per ticket (the outbox's unique key refuses a second):

- ``soon`` (« Bientôt votre tour ») when the ticket is close to its turn: the site's number of
  people before it, or an estimated wait short enough, whichever comes first (``soon_due``);
- ``call`` (« C'est votre tour : Bureau 2 ») when it is called, and again on each recall
  (« 2e appel »: its ``round``);
- ``no_show`` (« Vous n'avez pas répondu à l'appel ») after a no-show, if the site wants it.

A call's message is written in the transaction of the call itself (``on_transition``): it is
sent if and only if the call committed. « Bientôt » depends on the live positions and wait
estimates, so the sender derives it from the site's state (``enqueue_soon``); whoever sees it
first writes it, and only once. Nothing is sent for a ticket that is no longer in the state
the message speaks of, erased, or of another day (``still_true``, checked at the last moment).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from accueil.clock import as_utc
from accueil.lifecycle import CALLED, NO_SHOW, WAITING
from accueil.models import Desk, Notice, Site, Ticket

# Ticket.reach bits: how the visitor can be told outside their page.
SMS = 1
PUSH = 2
CHANNELS = (("sms", SMS), ("push", PUSH))

SOON, CALL, NOSHOW, DOCUMENTS = "soon", "call", "no_show", "documents"
PENDING, SENT, FAILED, EXPIRED, DROPPED = "pending", "sent", "failed", "expired", "dropped"

SOON_AFTER = timedelta(minutes=2)
"""« Bientôt » is not sent in the first minutes after check-in: the visitor is reading their page."""
LEASE = timedelta(seconds=60)
"""How long a sender holds the messages it claimed before another may take them (it died)."""
MAX_REASON = 200


def channels(reach: int) -> list[str]:
    """The channels a ticket's reach bits name."""
    return [name for name, bit in CHANNELS if reach & bit]


def soon_due(site: Site, ahead: int, estimate) -> bool:
    """True when a visitor with *ahead* people before them (and this wait *estimate*) should hear « bientôt »."""
    if ahead <= site.notify_soon_people:
        return True
    return estimate is not None and not estimate.long and estimate.low <= site.notify_soon_minutes


def _insert(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(Notice).on_conflict_do_nothing(index_elements=["ticket_id", "kind", "round", "channel"])


_INSERT = {"postgresql": _insert("postgresql"), "sqlite": _insert("sqlite")}


def _rows(ticket, kind: str, round_: int, now: datetime, desk: Desk | None = None,
          link: str | None = None) -> list[dict]:
    return [{
        "ticket_id": ticket.id, "site_id": ticket.site_id, "service_day": ticket.service_day, "kind": kind,
        "round": round_, "channel": channel, "locale": ticket.locale or "fr", "code": ticket.code,
        "desk": desk.name if desk else None, "directions": desk.directions if desk else None, "link": link,
        "status": PENDING, "attempts": 0, "created_at": now, "next_at": now,
    } for channel in channels(ticket.reach)]


def _write(session: Session, rows: list[dict]) -> None:
    if rows:
        conn = session.connection()
        conn.execute(_INSERT[conn.dialect.name], rows)


def on_transition(session: Session, ticket: Ticket, action: str, now: datetime) -> None:
    """Queue the message *action* owes the visitor, in the transaction that made it (nothing if none is due)."""
    if not ticket.reach or action not in ("call", "recall", "no_show"):
        return
    if action == "no_show":
        site = session.get(Site, ticket.site_id)
        if site is not None and site.notify_no_show:
            _write(session, _rows(ticket, NOSHOW, 0, as_utc(now)))
        return
    desk = session.get(Desk, ticket.desk_id) if ticket.desk_id is not None else None
    _write(session, _rows(ticket, CALL, ticket.recalls, as_utc(now), desk))


def on_documents(session: Session, ticket: Ticket, link: str, *, now: datetime) -> None:
    """Queue the message that gives the visitor the address of their list of documents (accueil.documents), when
    they chose SMS or push; each list given to the same ticket is the next round."""
    if not ticket.reach:
        return
    last = session.exec(select(func.max(Notice.round)).where(Notice.ticket_id == ticket.id,
                                                             Notice.kind == DOCUMENTS)).one()
    _write(session, _rows(ticket, DOCUMENTS, 0 if last is None else last + 1, as_utc(now), link=link))


_REACHABLE = (select(Ticket)
              .where(col(Ticket.id).in_(bindparam("ids", expanding=True)), Ticket.reach != 0,
                     Ticket.status == WAITING, Ticket.arrived_at <= bindparam("before")))
_TOLD_SOON = select(Notice.ticket_id).where(col(Notice.ticket_id).in_(bindparam("ids", expanding=True)),
                                            Notice.kind == SOON).distinct()


def soon_due_tickets(session: Session, site: Site, state, now: datetime) -> list[Ticket]:
    """The waiting tickets of *state* (``accueil.site_state``) owed « bientôt » and not yet given it (a read)."""
    now = as_utc(now)
    due = [ticket.id for ticket, _appointment in state.active
           if ticket.status == WAITING and ticket.id in state.positions
           and soon_due(site, state.positions[ticket.id], state.estimator(ticket.queue_id)(state.positions[ticket.id]))]
    if not due:
        return []
    told = set(session.exec(_TOLD_SOON, params={"ids": due}).all())
    due = [i for i in due if i not in told]
    return list(session.exec(_REACHABLE, params={"ids": due, "before": now - SOON_AFTER}).all()) if due else []


def enqueue_soon(session: Session, tickets: list[Ticket], now: datetime) -> int:
    """Queue « bientôt » for *tickets* (from ``soon_due_tickets``); each gets it once, whoever writes it first."""
    _write(session, [row for t in tickets for row in _rows(t, SOON, 0, as_utc(now))])
    return len(tickets)


# --- the sender's side ----------------------------------------------------------------------


def _claim_statement():
    free = or_(col(Notice.claimed_until).is_(None), col(Notice.claimed_until) < bindparam("now"))
    due = (sa_select(Notice.id)
           .where(Notice.status == PENDING, Notice.next_at <= bindparam("now"), free)
           .order_by(Notice.next_at, Notice.id)
           .limit(bindparam("limit"))
           .with_for_update(skip_locked=True))  # PostgreSQL; SQLite's writer turn serialises the claim
    return (update(Notice)
            .where(col(Notice.id).in_(due.scalar_subquery()))
            .values(claimed_until=bindparam("until"), attempts=Notice.attempts + 1)
            .returning(Notice.id))


_CLAIM = _claim_statement()
_DUE = select(Notice.id).where(Notice.status == PENDING, Notice.next_at <= bindparam("now")).limit(1)


def anything_due(session: Session, *, now: datetime) -> bool:
    """Whether a message waits to be sent now (one indexed read)."""
    return session.exec(_DUE, params={"now": as_utc(now)}).first() is not None


def claim(session: Session, *, now: datetime, limit: int = 20, lease: timedelta = LEASE) -> list[Notice]:
    """Take up to *limit* due messages for this sender until *now* + *lease*; the caller commits at once.

    Each message is claimed by one sender (SKIP LOCKED on PostgreSQL, one writer at a time on
    SQLite). A sender killed after its claim loses nothing: the lease runs out and another
    sender takes the message again.
    """
    now = as_utc(now)
    ids = session.connection().execute(_CLAIM, {"now": now, "until": now + lease, "limit": limit}).scalars().all()
    if not ids:
        return []
    return list(session.exec(select(Notice).where(col(Notice.id).in_(ids)).order_by(Notice.id)
                             .execution_options(populate_existing=True)).all())


def release(session: Session, notice_ids: list[int]) -> None:
    """Give back claimed messages this sender will not try now (another may take them at once)."""
    if notice_ids:
        session.execute(update(Notice).where(col(Notice.id).in_(notice_ids), Notice.status == PENDING)
                        .values(claimed_until=None))


def still_true(notice: Notice, ticket: Ticket | None, today: date) -> str | None:
    """Why *notice* must not be sent now (None: send it)."""
    if ticket is None or ticket.purged_at is not None:
        return "ticket erased"
    if ticket.service_day != today:  # the notice's day is its ticket's
        return "another day"
    if notice.kind == DOCUMENTS:
        return None if notice.link else "no link"  # a list is worth having whatever the ticket's state
    wanted = {SOON: WAITING, CALL: CALLED, NOSHOW: NO_SHOW}[notice.kind]
    if ticket.status != wanted:
        return f"ticket {ticket.status}"
    if notice.kind == CALL and ticket.recalls != notice.round:
        return "called again since"
    return None


def _finish(session: Session, notice_id: int, status: str, now: datetime, reason: str | None) -> None:
    session.execute(update(Notice).where(Notice.id == notice_id, Notice.status == PENDING)
                    .values(status=status, done_at=as_utc(now), claimed_until=None,
                            reason=(reason or None) and reason[:MAX_REASON]))


def mark_sent(session: Session, notice_id: int, *, now: datetime) -> None:
    _finish(session, notice_id, SENT, now, None)


def mark_failed(session: Session, notice_id: int, *, now: datetime, reason: str) -> None:
    """The provider refused it for good (a number it does not serve): never tried again."""
    _finish(session, notice_id, FAILED, now, reason)


def mark_dropped(session: Session, notice_id: int, *, now: datetime, reason: str) -> None:
    _finish(session, notice_id, DROPPED, now, reason)


def retry_later(session: Session, notice: Notice, *, now: datetime, reason: str, max_age: timedelta,
                first_delay: float = 2.0, longest_delay: float = 60.0) -> str:
    """A temporary failure: try again after a growing delay, or give up once the message is too old to help."""
    now = as_utc(now)
    delay = min(longest_delay, first_delay * 2 ** max(0, notice.attempts - 1))
    if now + timedelta(seconds=delay) - as_utc(notice.created_at) > max_age:
        _finish(session, notice.id, EXPIRED, now, reason)
        return EXPIRED
    session.execute(update(Notice).where(Notice.id == notice.id, Notice.status == PENDING)
                    .values(next_at=now + timedelta(seconds=delay), claimed_until=None,
                            reason=reason[:MAX_REASON]))
    return PENDING


def expire_old(session: Session, *, now: datetime, max_age: timedelta) -> int:
    """Give up the pending messages older than *max_age* (a call from 20 minutes ago is worse than none)."""
    now = as_utc(now)
    return session.execute(update(Notice).where(Notice.status == PENDING, Notice.created_at < now - max_age)
                           .values(status=EXPIRED, done_at=now, claimed_until=None,
                                   reason=func.coalesce(Notice.reason, "too late"))).rowcount


# --- what agents and supervisors see ---------------------------------------------------------


@dataclass(frozen=True)
class Health:
    """The sender as a supervisor sees it, for one site and day."""

    pending: int
    failed_last_hour: int
    oldest_pending_seconds: int | None
    sms_today: int


def health(session: Session, site_id: int, day: date, *, now: datetime) -> Health:
    now = as_utc(now)
    pending_rows = session.exec(select(func.count(), func.min(Notice.created_at))
                                .where(Notice.site_id == site_id, Notice.status == PENDING)).one()
    failed = session.exec(select(func.count()).where(
        Notice.site_id == site_id, col(Notice.status).in_((FAILED, EXPIRED)), Notice.done_at >= now - timedelta(hours=1))).one()
    sms = session.exec(select(func.count()).where(
        Notice.site_id == site_id, Notice.service_day == day, Notice.channel == "sms", Notice.status == SENT)).one()
    oldest = pending_rows[1]
    return Health(pending_rows[0], failed, None if oldest is None else max(0, int((now - as_utc(oldest)).total_seconds())), sms)


def last_failures(session: Session, ticket_ids: list[int]) -> dict[int, str]:
    """Ticket id -> the reason its latest message failed (shown to the agent), for tickets with one."""
    if not ticket_ids:
        return {}
    rows = session.exec(select(Notice.ticket_id, Notice.reason)
                        .where(col(Notice.ticket_id).in_(ticket_ids), Notice.status == FAILED)
                        .order_by(Notice.id)).all()
    return {ticket_id: reason or "" for ticket_id, reason in rows}
