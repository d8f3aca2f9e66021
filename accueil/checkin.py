"""Check-in: identify, route, number. The same for self check-in and assisted registration."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from accueil import identity
from accueil import needs as need_rules
from accueil.appointments import arrival_match, of_the_day, only_callback, reservation_end, window_flag
from accueil.clock import as_utc, local_hour, service_day
from accueil.errors import DomainError, InvalidInput, NotFound
from accueil.history import log_transition
from accueil.i18n import N_
from accueil.lifecycle import ACTIVE, WAITING
from accueil.models import APPOINTMENT, WALK_IN, Appointment, Queue, Site, Ticket
from accueil.numbering import next_number

CHANNELS = ("self", "assisted")


@dataclass(frozen=True)
class CheckIn:
    ticket: Ticket
    created: bool  # False: the person already had an active ticket today, and got it back
    appointment: Appointment | None


class CallbackOnly(DomainError):
    """The person's only appointment today is a phone call-back: no ticket unless they confirm.

    ``time`` is the call-back's local time at the site (HH:MM); nothing personal is carried.
    """

    code = "callback_only"
    message_id = N_("Rendez-vous téléphonique à %(time)s.")

    def __init__(self, appointment: Appointment, tz: str) -> None:
        self.appointment_id = appointment.id
        super().__init__(time=as_utc(appointment.at).astimezone(ZoneInfo(tz)).strftime("%H:%M"))


def route(session: Session, site_id: int, has_appointment: bool) -> Queue:
    """Return the queue a visitor goes to: appointment desks, or the espace numérique."""
    purpose = APPOINTMENT if has_appointment else WALK_IN
    queue = session.exec(
        select(Queue)
        .where(Queue.site_id == site_id, Queue.purpose == purpose, Queue.active == True)  # noqa: E712
        .order_by(Queue.id)
    ).first()
    if queue is None:
        raise DomainError(N_("Ce site n'a pas de file pour ce cas. Adressez-vous à l'accueil."))
    return queue


def active_ticket(session: Session, site_id: int, day, nir_hash: str) -> Ticket | None:
    """Return the person's ticket still in progress at that site that day, if any."""
    return session.exec(
        select(Ticket).where(
            Ticket.site_id == site_id,
            Ticket.service_day == day,
            Ticket.nir_hash == nir_hash,
            col(Ticket.status).in_(ACTIVE),
        )
    ).first()


def check_in(
    session: Session,
    vault: identity.Vault,
    *,
    site_id: int,
    has_appointment: bool,
    nir: str | None,
    phone: str | None = None,
    channel: str = "self",
    priority: int = 0,
    needs: tuple[str, ...] | list[str] = (),
    interpreter_language: str | None = None,
    confirm_callback: bool = False,
    now: datetime,
) -> CheckIn:
    """Issue a ticket, or give back the one the person already holds today.

    *nir* None means the visitor has no number or does not know it: they still get a
    ticket, flagged for an agent to identify them. An appointment found for the NIR
    today routes to the appointment desks even if the visitor answered "no".

    A person whose only appointment today is a phone call-back gets no ticket
    (CallbackOnly) unless *confirm_callback*: they still want to see someone. Their
    ticket then waits in the walk-in queue at its arrival time, linked to the call-back
    so that agents see it; a call-back keeps no desk and gives no place in the queue.
    """
    now = as_utc(now)
    if channel not in CHANNELS:
        raise InvalidInput(N_("Canal d'enregistrement inconnu."), field="channel")
    if not isinstance(priority, int) or not 0 <= priority <= 9:
        raise InvalidInput(N_("La priorité va de 0 à 9."), field="priority")
    needs_mask = need_rules.mask(needs)
    language = need_rules.check_language(interpreter_language) if needs_mask & need_rules.NEEDS[need_rules.INTERPRETER] else None
    site = session.get(Site, site_id) if isinstance(site_id, int) else None
    if site is None:
        raise NotFound(N_("Ce site n'existe pas."))
    nir_clean = identity.validate_nir(nir) if nir is not None else None
    phone_clean = identity.normalize_phone(phone) if phone not in (None, "") else None

    day = service_day(now, site.timezone)
    nir_hash = vault.hash_nir(nir_clean) if nir_clean else None
    if nir_hash:
        existing = active_ticket(session, site.id, day, nir_hash)
        if existing is not None:
            return CheckIn(existing, False, session.get(Appointment, existing.appointment_id) if existing.appointment_id else None)

    todays = of_the_day(session, site.id, day, nir_hash) if nir_hash else []
    appointment = arrival_match(todays, now)
    callback = only_callback(todays) if appointment is None else None
    if callback is not None and not confirm_callback:
        raise CallbackOnly(callback, site.timezone)
    # A confirmed call-back goes to the walk-in queue: it has no in-person appointment to keep.
    queue = route(session, site.id, appointment is not None or (has_appointment and callback is None))
    ticket = Ticket(
        public_id=secrets.token_urlsafe(24),
        site_id=site.id,
        service_day=day,
        letter=queue.letter,
        number=0,
        queue_id=queue.id,
        status=WAITING,
        priority=priority,
        needs=needs_mask,
        interpreter_language=language,
        appointment_id=appointment.id if appointment else callback.id if callback else None,
        claimed_appointment=has_appointment,
        appointment_not_found=has_appointment and appointment is None and callback is None,
        needs_identification=nir_clean is None,
        channel=channel,
        arrived_at=now,
        arrival_hour=local_hour(now, site.timezone),
        queued_at=now,
        due_at=appointment.at if appointment else now,
        arrival_flag=window_flag(site, appointment.at, now) if appointment else None,
        reserved_desk_id=appointment.desk_id if appointment else None,
        reserved_agent_id=appointment.agent_id if appointment else None,
        reserved_until=reservation_end(site, appointment, now) if appointment else None,
        nir_enc=vault.encrypt(nir_clean) if nir_clean else None,
        nir_hash=nir_hash,
        phone_enc=vault.encrypt(phone_clean) if phone_clean else None,
    )
    try:
        # On PostgreSQL a concurrent twin (double tap) can pass the lookup above; the
        # partial unique index refuses it and the person gets the twin's ticket.
        with session.begin_nested():
            ticket.number = next_number(session, site.id, queue.id, day)
            session.add(ticket)
            session.flush()
    except IntegrityError:
        existing = active_ticket(session, site.id, day, nir_hash) if nir_hash else None
        if existing is None:
            raise
        return CheckIn(existing, False, appointment or callback)
    log_transition(session, ticket, "issue", None, now)
    return CheckIn(ticket, True, appointment or callback)
