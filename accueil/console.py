"""What an agent's console sees and may do: the site's queues, the tickets in hand, the desks.

Personal data only ever leaves here masked (mask_nir, mask_phone); revealing a NIR is
accueil.reveal's job. Everything is scoped to one site: another site's tickets, desks
and devices do not exist for its agents.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from accueil import desks as desk_rules
from accueil import notices, site_state, tickets
from accueil.clock import as_utc
from accueil.db import refusable
from accueil.errors import InvalidInput, NotFound
from accueil.i18n import N_
from accueil.identity import Vault, mask_nir, mask_phone
from accueil.ids import is_row_id, row_id
from accueil.lifecycle import CALLED, SERVING, WAITING
from accueil.models import SUPERVISOR, ZONE, Agent, ConsoleAction, Desk, Device, Queue, Ticket
from accueil.needs import codes as need_codes
from accueil.site_state import SiteState

LIST_LIMIT = 50
"""Waiting tickets listed per queue; the others appear as those before them are called (a bounded page)."""
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEEP_KEYS = timedelta(days=1)


@dataclass
class TicketView:
    id: int
    code: str
    status: str
    queue_id: int
    queue_letter: str
    arrived: str  # local HH:MM
    arrived_at: datetime
    waited_minutes: int
    appointment_time: str | None
    appointment_kind: str | None
    appointment_not_found: bool
    needs_identification: bool
    priority: bool
    assisted: bool
    nir_masked: str | None
    phone_masked: str | None
    desk_id: int | None
    desk_name: str | None
    recalls: int
    arrival_flag: str | None = None
    needs: tuple[str, ...] = ()
    """accueil.needs codes (lsf, interpreter, mobility)."""
    interpreter_language: str | None = None
    """« early » or « late » against the appointment's check-in window, when the model has it."""
    other_attempts: int = 0
    """Check-ins refused with this ticket's NIR from another phone (accueil.checkin._again)."""
    reach: tuple[str, ...] = ()
    """How the visitor is told outside their page (accueil.notices channels: sms, push)."""
    message_failed: str | None = None
    """Why the latest message to the visitor was not delivered (the provider's answer), if it was not."""


@dataclass
class QueueView:
    id: int
    letter: str
    name: str
    kind: str
    seats: int | None
    waiting: list[TicketView] = field(default_factory=list)
    """The first LIST_LIMIT waiting, in call order."""
    count: int = 0
    """How many wait in all."""


@dataclass
class SiteView:
    """The part of the console every agent of the site sees alike (built once per site and version)."""

    version: int
    site_id: int
    site_name: str
    now: datetime
    queues: list[QueueView]
    in_progress: list[TicketView]
    desks: list[desk_rules.DeskState]
    desk_rows: dict[int, Desk]
    desk_queues: dict[int, tuple[int, ...]] = field(default_factory=dict)
    """Desk id -> the queues it calls from."""


@dataclass
class ConsoleView(SiteView):
    """One agent's console: the site's picture, their desk and the visitors in hand there."""

    in_hand: list[TicketView] = field(default_factory=list)
    desk: Desk | None = None
    supervisor: bool = False
    agent_id: int | None = None

    @property
    def busy(self) -> bool:
        """The desk has its visitor in hand and can call no one else (accueil.tickets: a desk receives one
        visitor at a time from desk queues; a helper of a zone may call more)."""
        if self.desk is None or not self.in_hand:
            return False
        zones = {q.id for q in self.queues if q.kind == ZONE}
        return not any(q in zones for q in self.desk_queues.get(self.desk.id, ()))


def _local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return as_utc(moment).astimezone(tz).strftime("%H:%M") if moment else None


class Masks:
    """Masked NIR and phone of each ticket, decrypted once per ticket rather than once per view."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._known: dict[int, tuple[bytes | None, bytes | None, str | None, str | None]] = {}
        self._lock = threading.Lock()

    def _safe(self, blob: bytes | None, mask) -> str | None:
        if blob is None:
            return None
        try:
            return mask(self.vault.decrypt(blob))
        except ValueError:  # a key change or damaged value: show nothing rather than fail the console
            return None

    def of(self, ticket_id: int, nir_enc: bytes | None, phone_enc: bytes | None) -> tuple[str | None, str | None]:
        known = self._known.get(ticket_id)
        if known is None or known[0] != nir_enc or known[1] != phone_enc:
            known = (nir_enc, phone_enc, self._safe(nir_enc, mask_nir), self._safe(phone_enc, mask_phone))
            with self._lock:
                self._known[ticket_id] = known
        return known[2], known[3]

    def keep_only(self, ticket_ids: set[int]) -> None:
        """Forget the tickets no longer active (their numbers are not kept in memory longer than needed)."""
        with self._lock:
            for ticket_id in [i for i in self._known if i not in ticket_ids]:
                del self._known[ticket_id]


_DETAIL_FIELDS = ("id", "arrived_at", "priority", "needs_identification", "channel", "needs", "interpreter_language",
                  "arrival_flag", "nir_enc", "phone_enc", "checkin_attempts", "reach")


def listed(state: SiteState) -> list:
    """The active tickets a console lists: the first LIST_LIMIT waiting of each queue, and those in hand."""
    shown: dict[int, int] = {}
    result = []
    for ticket, _appointment in state.active:
        if ticket.status == WAITING:
            shown[ticket.queue_id] = shown.get(ticket.queue_id, 0) + 1
            if shown[ticket.queue_id] > LIST_LIMIT:
                continue
        result.append(ticket)
    return result


def details(session: Session, tickets) -> dict[int, tuple]:
    """What only the consoles show of the listed *tickets* (arrival, flags, encrypted numbers, a message
    not delivered), by id."""
    ids = [t.id for t in tickets]
    if not ids:
        return {}
    rows = session.execute(select(*(getattr(Ticket, name) for name in _DETAIL_FIELDS))
                           .where(col(Ticket.id).in_(ids))).all()
    failed = notices.last_failures(session, [row[0] for row in rows if row[-1]])
    return {row[0]: (*row, failed.get(row[0])) for row in rows}


class _Detail:
    __slots__ = (*_DETAIL_FIELDS, "message_failed")

    def __init__(self, row) -> None:
        for name, value in zip(self.__slots__, row):
            setattr(self, name, value)


def site_view(state: SiteState, masks: Masks, *, now: datetime, extra: dict[int, tuple]) -> SiteView:
    """The console's picture of the site at the state's version, shared by all its agents.

    *extra* is ``details`` of the ``listed`` tickets (read after the state: at least as new).
    """
    now = as_utc(now)
    tz = ZoneInfo(state.timezone)
    queues = sorted((q for q in state.queues.values() if q.active), key=lambda q: q.letter, reverse=True)
    by_id = {q.id: QueueView(q.id, q.letter, q.name, q.kind, q.seats) for q in queues}
    in_progress = []
    for ticket, appointment in state.active:
        queue = by_id.get(ticket.queue_id)
        if ticket.status == WAITING:
            if queue is None:
                continue
            queue.count += 1
        row = extra.get(ticket.id)
        if row is None:
            continue  # not listed (beyond LIST_LIMIT), or gone since the state was read
        d = _Detail(row)
        nir_masked, phone_masked = masks.of(ticket.id, d.nir_enc, d.phone_enc)
        tv = TicketView(
            id=ticket.id, code=ticket.code, status=ticket.status, queue_id=ticket.queue_id,
            queue_letter=ticket.letter, arrived=_local(d.arrived_at, tz), arrived_at=d.arrived_at,
            waited_minutes=max(0, int((now - d.arrived_at).total_seconds() // 60)),
            appointment_time=_local(appointment.at, tz) if appointment else None,
            appointment_kind=appointment.kind if appointment else None,
            appointment_not_found=ticket.appointment_not_found,
            needs_identification=d.needs_identification,
            priority=d.priority > 0, assisted=d.channel == "assisted",
            nir_masked=nir_masked, phone_masked=phone_masked,
            desk_id=ticket.desk_id, desk_name=state.desk_name(ticket.desk_id), recalls=ticket.recalls,
            arrival_flag=d.arrival_flag,
            needs=tuple(need_codes(d.needs or 0)), interpreter_language=d.interpreter_language,
            other_attempts=d.checkin_attempts or 0,
            reach=tuple(notices.channels(d.reach or 0)), message_failed=d.message_failed,
        )
        if ticket.status == WAITING:
            queue.waiting.append(tv)
        else:
            in_progress.append(tv)
    masks.keep_only(set(extra))
    desks = desk_rules.states_of(list(state.desks.values()), state.logins, state.in_hand())
    return SiteView(version=state.version, site_id=state.site_id, site_name=state.name, now=now,
                    queues=list(by_id.values()), in_progress=in_progress, desks=desks, desk_rows=state.desks,
                    desk_queues=state.desk_queues)


def for_agent(shared: SiteView, *, agent_id: int, supervisor: bool) -> ConsoleView:
    """One agent's console: the shared picture, with their desk and the visitors in hand there."""
    my_desk = next((d for d in shared.desk_rows.values() if d.agent_id == agent_id), None)
    in_hand = [t for t in shared.in_progress if my_desk is not None and t.desk_id == my_desk.id]
    return ConsoleView(**{f.name: getattr(shared, f.name) for f in fields(SiteView)},
                       in_hand=in_hand, desk=my_desk, supervisor=supervisor, agent_id=agent_id)


def view(session: Session, vault: Vault, *, site_id: int, agent_id: int, now: datetime) -> ConsoleView:
    """Return the console's picture of the site now for one agent (its version read first)."""
    state = site_state.read(session, site_id, now=now)
    if state is None:
        raise NotFound(N_("Ce site n'existe pas."))
    agent = session.get(Agent, agent_id)
    shared = site_view(state, Masks(vault), now=now, extra=details(session, listed(state)))
    return for_agent(shared, agent_id=agent_id, supervisor=agent is not None and agent.role == SUPERVISOR)


_FORGET_KEYS = delete(ConsoleAction).where(ConsoleAction.agent_id == bindparam("agent"),
                                           ConsoleAction.at < bindparam("before"))
_KEEP_KEY = insert(ConsoleAction)


def claim_action(session: Session, *, key: str | None, agent_id: int, now: datetime) -> bool:
    """Record the action key; False if it was already done (a double press or a resend).

    The row is written in the action's own transaction: an action that fails rolls its
    key back, so pressing again really tries again.
    """
    if key is None or key == "":
        return True
    if not _KEY_RE.match(key):
        raise InvalidInput(N_("La demande n'est pas valide."), field="key")
    now = as_utc(now)
    conn = session.connection()
    conn.execute(_FORGET_KEYS, {"agent": agent_id, "before": now - KEEP_KEYS})
    try:
        with refusable(session):
            conn.execute(_KEEP_KEY, {"key": key, "agent_id": agent_id, "at": now})
    except IntegrityError:
        return False
    return True


def check_may_act(ticket: Ticket, *, desk: Desk | None, supervisor: bool) -> None:
    """A ticket in hand at a desk is that desk's: others may not act on it (supervisors may)."""
    if supervisor or ticket.status not in (CALLED, SERVING):
        return
    if desk is None or ticket.desk_id != desk.id:
        raise InvalidInput(N_("Le ticket %(ticket)s est suivi par un autre bureau."), field="desk",
                           ticket=ticket.code)


TICKET_ACTIONS = {
    "recall": tickets.recall,
    "start": tickets.start,
    "finish": tickets.finish,
    "no-show": tickets.no_show,
    "cancel": tickets.cancel,
}
"""The actions an agent takes on a ticket from the console, besides calling and transferring it."""


@dataclass(frozen=True)
class Acted:
    """What an agent's action did: the ticket as it is now, and the desk that called it (a call)."""

    ticket: Ticket
    desk: Desk | None = None
    moved_to: str | None = None
    """« queue » or « desk », for a transfer."""


def act(session: Session, *, site_id: int, agent_id: int, supervisor: bool, ticket_id: int, action: str,
        target: str | None = None, now: datetime) -> Acted:
    """Take *action* on a ticket of the site from an agent's console: which desk acts, and whether it may.

    « call » calls the ticket to the agent's desk (which must be able to receive). Any other action
    on a ticket in hand at a desk is that desk's (or a supervisor's); it is recorded against the
    agent's desk when the ticket is theirs or in no one's hands. « transfer » takes *target*
    « queue:ID » or « desk:ID ».
    """
    ticket = tickets.get_ticket(session, site_id, ticket_id)
    if action == "call":
        desk = desk_rules.caller_desk(session, site_id=site_id, agent_id=agent_id)
        return Acted(tickets.call_ticket(session, site_id=site_id, ticket_id=ticket.id, desk_id=desk.id,
                                         agent_id=agent_id, now=now), desk)
    desk = desk_rules.held_by(session, agent_id)
    check_may_act(ticket, desk=desk, supervisor=supervisor)
    desk_id = desk.id if desk is not None and ticket.desk_id in (None, desk.id) else None
    if action == "transfer":
        kind, _sep, raw = (target or "").partition(":")
        target_id = row_id(raw) or 0
        if kind == "queue":
            return Acted(tickets.transfer(session, site_id=site_id, ticket_id=ticket.id, queue_id=target_id,
                                          desk_id=desk_id, agent_id=agent_id, now=now), moved_to="queue")
        if kind == "desk":
            return Acted(send_to_desk(session, site_id=site_id, ticket_id=ticket.id, target_desk_id=target_id,
                                      desk_id=desk_id, agent_id=agent_id, now=now), moved_to="desk")
        raise InvalidInput(N_("Choisissez une file ou un bureau."), field="target")
    fn = TICKET_ACTIONS.get(action)
    if fn is None:
        raise NotFound(N_("Cette action n'existe pas."))
    return Acted(fn(session, site_id=site_id, ticket_id=ticket.id, desk_id=desk_id, agent_id=agent_id, now=now))


def site_desks(session: Session, site_id: int) -> list[Desk]:
    return list(session.exec(select(Desk).where(Desk.site_id == site_id, Desk.active == True).order_by(Desk.id)).all())  # noqa: E712


def site_queues(session: Session, site_id: int) -> list[Queue]:
    return list(session.exec(select(Queue).where(Queue.site_id == site_id, Queue.active == True).order_by(Queue.id)).all())  # noqa: E712


def site_devices(session: Session, site_id: int) -> list[Device]:
    return list(session.exec(select(Device).where(Device.site_id == site_id).order_by(Device.id)).all())


def site_device(session: Session, site_id: int, device_id: object) -> Device:
    """Return one device of the site, or NotFound (another site's devices do not exist here)."""
    device = session.get(Device, device_id) if is_row_id(device_id) else None
    if device is None or device.site_id != site_id:
        raise NotFound(N_("Cet appareil n'existe pas."))
    return device


def send_to_desk(session: Session, *, site_id: int, ticket_id: int, target_desk_id: int, desk_id: int | None,
                 agent_id: int | None, now: datetime) -> Ticket:
    """Transfer a ticket to another desk: it goes back to waiting, then is called to that desk.

    Two transitions in one transaction (two events): the display announces the new desk.
    The target desk must be free to receive (DeskBusy, ZoneFull otherwise), and nothing
    changes if it is not.
    """
    from accueil import tickets

    ticket = tickets.get_ticket(session, site_id, ticket_id)
    target = session.get(Desk, target_desk_id) if isinstance(target_desk_id, int) else None
    if target is None or target.site_id != site_id or not target.active:
        raise NotFound(N_("Ce bureau n'existe pas."))
    if target.id == ticket.desk_id and ticket.status in (CALLED, SERVING):
        raise InvalidInput(N_("Le ticket %(ticket)s est déjà à ce bureau."), field="desk", ticket=ticket.code)
    if ticket.status != WAITING:
        tickets.transfer(session, site_id=site_id, ticket_id=ticket.id, queue_id=ticket.queue_id,
                         desk_id=desk_id, agent_id=agent_id, now=now)
    return tickets.call_ticket(session, site_id=site_id, ticket_id=ticket.id, desk_id=target.id,
                               agent_id=agent_id, now=now)
