"""Who may receive what: every live payload of every audience is built here, from a site's state.

Four audiences, each with its rule, stated once:

- **display** (the waiting-room screen, public: anyone in the room reads it): ticket numbers,
  queue letters and names, desk names, counts and times. Never a ticket's secret link, an
  internal id, a NIR, a phone number, a name or an appointment detail. Built field by field
  from ``CALL_FIELDS`` and ``QUEUE_FIELDS``.
- **phone** (the visitor's ticket page, reached through the ticket's secret link): that one
  ticket's number, state, queue, people ahead, wait range, desk when called and its own
  appointment time, and the link of the documents it was asked to provide. Never another ticket, a NIR, a
  phone number, an internal id (``PHONE_FIELDS``).
- **api** (``GET /api/v1/sites/SLUG/queues``, an integration holding a ``queues:read`` token):
  the display's fields plus each queue's wait range for someone joining now (``API_CALL_FIELDS``);
  ``GET /api/v1/tickets/LINK``, whoever holds a ticket's link: the phone's fields without the
  appointment (``API_TICKET_FIELDS``). Nothing more.
- **console** (a signed-in agent of the site): the site's active tickets with NIR and phone
  *masked* (``accueil.console``; revealing a number is ``accueil.reveal``'s job, logged).

A batch of committed events (one or more, of one site) becomes one display update and one
status per phone; the consoles' regions are rendered by the agent console from
``accueil.console.site_view``. Payloads are states (counts, statuses, regions), so a client
that missed an event is put right by the next one or by a snapshot; only the display's
calls are a list of happenings, keyed so that each is announced once.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from accueil.clock import as_utc
from accueil.events import TicketEvent
from accueil.lifecycle import CALLED, SERVING, WAITING, call_round
from accueil.models import ZONE, Appointment, Queue, Ticket
from accueil.site_state import ANNOUNCED, CallRow, SiteState, StateCache, read
from accueil.waiting import ticket_by_public_id

CALL_FIELDS = ("key", "code", "letter", "place", "kind", "at", "time")
"""The only fields of a call a display (or the API) receives."""
QUEUE_FIELDS = ("letter", "name", "count")
"""The only fields of a queue a display receives (the API adds ``estimate``)."""
PHONE_FIELDS = ("v", "code", "status", "place", "queue", "letter", "ahead", "estimate", "desk", "directions", "round",
                "says", "appointment_at", "appointment_kind", "appointment_not_found", "day", "documents")
"""The only fields of a ticket its visitor's page receives (tests hold every payload to this list)."""


# --- display ---------------------------------------------------------------------------------

def _place(queue: Queue | None, desk_name: str | None) -> str:
    """Where the visitor goes: the zone's name (« Espace numérique ») or the desk's (« Bureau 3 »)."""
    if queue is not None and queue.kind == ZONE:
        return queue.name
    if desk_name:
        return desk_name
    return queue.name if queue is not None else ""


def _call(state: SiteState, row: CallRow) -> dict:
    at = as_utc(row.at)
    item = {
        "key": f"{row.code}:{row.version}",  # one per call or recall: a display announces each key once
        "code": row.code,
        "letter": row.letter,
        "place": _place(state.queues.get(row.queue_id), state.desk_name(row.desk_id)),
        "kind": row.kind,
        "at": at.isoformat(),
        "time": at.astimezone(ZoneInfo(state.timezone)).strftime("%H:%M"),
    }
    return {k: item[k] for k in CALL_FIELDS}


def waiting_counts(state: SiteState) -> list[dict]:
    """How many tickets wait in each active queue of the site (zeros included)."""
    return [{"letter": q.letter, "name": q.name, "count": state.waiting_per_queue.get(q.id, 0)}
            for q in state.active_queues()]


IDLE_AFTER_SECONDS = 120
"""A screen whose last call is older than this shows its site's messages in turn (if it has any)."""
MESSAGE_SECONDS = 12
"""How long each message stays before the next (long enough to read twice slowly)."""


def display_snapshot(state: SiteState, *, now: datetime) -> dict:
    """The full public state of a site's display, with the site's version as ``v`` (*now* sets its clock).

    ``messages`` are the site's screen messages (public words, a link the screen shows as a QR code),
    shown in turn once the last call is ``idle_after`` seconds old.
    """
    return {"v": state.version, "site": state.name, "tz": state.timezone, "now": as_utc(now).isoformat(),
            "calls": [_call(state, row) for row in state.calls], "waiting": waiting_counts(state),
            "messages": [{"id": m.id, "text": m.text, "link": m.link} for m in state.messages],
            "idle_after": IDLE_AFTER_SECONDS, "message_seconds": MESSAGE_SECONDS}


def display_update(state: SiteState, events: list, *, since: int) -> dict:
    """Turn a batch of the site's events into one display update, following the update at version *since*.

    Every batch gives an update (the counts); the calls and recalls in it are listed oldest
    first, for the screen to show and announce in order, each once (its key).
    """
    calls = [_call(state, CallRow(e.code, e.code[:1], e.kind, e.version, e.at, e.queue_id, e.desk_id))
             for e in sorted(events, key=lambda e: e.version) if isinstance(e, TicketEvent) and e.kind in ANNOUNCED]
    return {"v": state.version, "from": since, "waiting": waiting_counts(state), "calls": calls}


API_CALL_FIELDS = ("code", "letter", "place", "kind", "at", "time")
"""A call as the API gives it: the display's fields without its announcement key."""
API_TICKET_FIELDS = ("code", "letter", "queue", "place", "status", "ahead", "estimate", "desk", "day")
"""A ticket as the API gives it to whoever holds its link: the phone's fields without the appointment."""


def api_queues(state: SiteState, *, slug: str, now: datetime) -> dict:
    """The display's counts and calls for an integration, with the wait range of someone joining each queue now."""
    queues = []
    for q in state.active_queues():
        count = state.waiting_per_queue.get(q.id, 0)
        est = state.estimator(q.id)(count)
        queues.append({"letter": q.letter, "name": q.name, "waiting": count, "estimate": _estimate(est)})
    calls = [{k: call[k] for k in API_CALL_FIELDS} for call in (_call(state, row) for row in state.calls)]
    return {"site": slug, "now": as_utc(now).isoformat(), "queues": queues, "calls": calls}


def api_ticket(status: dict, *, slug: str) -> dict:
    """A ticket's status (``phone_status``) as the API gives it."""
    # « recalls » (the count of recalls) is the API's published field; the phone reads the round.
    return {"site": slug} | {k: status[k] for k in API_TICKET_FIELDS} | {"recalls": status["round"] - 1}


# --- phone -----------------------------------------------------------------------------------

def _estimate(est) -> dict | None:
    return None if est is None else {"low": est.low, "high": est.high, "long": est.long}


def says(ahead: int | None, estimate: dict | None, round_: int) -> dict:
    """Which phrase each line of the visitor's page says (None: nothing), filled by the page with the numbers.

    The one rule of the waiting text: the first render (``kiosk.views.describe``) and the live page
    (``ticket.js``) only look the phrase up and put the numbers in.
    """
    if ahead is None:
        wait = None
    elif estimate is None:
        wait = "unknown"  # no desk open: no honest estimate
    elif estimate["long"] and estimate["low"] >= estimate["high"]:
        wait = "long"
    else:
        wait = "under" if estimate["low"] == 0 else "between"
    return {"ahead": None if ahead is None else "next" if ahead == 0 else "ahead", "estimate": wait,
            "round": "round" if round_ > 1 else None}


def phone_status(state: SiteState, ticket, appointment) -> dict:
    """What the visitor's page shows of *ticket* (one of the site's), with the state's version as ``v``.

    *ticket* is a row of the state, or a Ticket read apart (*appointment*: its appointment or
    None); a ticket the state does not list as active (finished, or of another day) has no position.
    """
    return {"v": state.version, **phone_fields(state, ticket, appointment)}


def phone_fields(state: SiteState, ticket, appointment) -> dict:
    """``phone_status`` without the version: what changes for the visitor (the fields of PHONE_FIELDS)."""
    queue = state.queues.get(ticket.queue_id)
    kind = queue.kind if queue is not None else "desks"
    ahead = state.positions.get(ticket.id) if ticket.status == WAITING and ticket.service_day == state.day else None
    est = _estimate(state.estimator(ticket.queue_id)(ahead)) if ahead is not None else None
    round_ = call_round(ticket.recalls)
    return {
        "code": ticket.code,
        "status": ticket.status,
        "place": kind,  # "desks": the appointment desks; "zone": the espace numérique
        "queue": queue.name if queue is not None else "",
        "letter": queue.letter if queue is not None else ticket.letter,  # a transferred ticket keeps its code
        "ahead": ahead,
        "estimate": est,
        "desk": state.desk_name(ticket.desk_id) if ticket.status in (CALLED, SERVING) else None,
        "directions": state.desk_directions(ticket.desk_id) if ticket.status == CALLED else None,
        "round": round_,  # 2: « 2e appel »
        "says": says(ahead, est, round_),
        "appointment_at": as_utc(appointment.at).isoformat() if appointment else None,
        "appointment_kind": appointment.kind if appointment else None,  # "phone": a call-back, not a visit
        "appointment_not_found": ticket.appointment_not_found,
        "day": ticket.service_day.isoformat(),
        "documents": ticket.checklist,  # the link secret of the documents to provide (accueil.documents), if given
    }


def phone_snapshot(session: Session, public_id: str | None, *, now: datetime,
                   cache: StateCache | None = None) -> dict | None:
    """The status of the ticket whose secret link is *public_id* (None if there is none).

    The site's version is read before the ticket itself, so that the snapshot is never
    older than its ``v``: a call committed in between is in it, or comes after it.
    """
    ticket = ticket_by_public_id(session, public_id)
    if ticket is None:
        return None
    today = cache.get(session, ticket.site_id, now=now) if cache is not None else read(
        session, ticket.site_id, now=now)
    state = today if today.day == ticket.service_day else read(session, ticket.site_id, now=now,
                                                               day=ticket.service_day)
    current = state.by_public_id.get(ticket.public_id)
    if current is not None:
        return phone_status(state, current, state.appointments.get(current.id))
    current = session.exec(select(Ticket).where(Ticket.id == ticket.id)
                           .execution_options(populate_existing=True)).one()
    appointment = session.get(Appointment, current.appointment_id) if current.appointment_id else None
    return phone_status(state, current, appointment)
