"""Check-in: identify, route, number. The same for self check-in and assisted registration."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, and_, bindparam, insert, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from accueil import identity, notices
from accueil import needs as need_rules
from accueil.appointments import arrival_match, of_the_day, only_callback, reservation_end, window_flag
from accueil.clock import as_utc, local_hour, service_day
from accueil.db import refusable
from accueil.errors import DomainError, InvalidInput, InvalidNir, InvalidPhone, NotFound
from accueil.history import log_transition, site_changed
from accueil.i18n import N_, visitor_locale
from accueil.ids import is_row_id
from accueil.lifecycle import WAITING
from accueil.models import ACTIVE_NIR, APPOINTMENT, WALK_IN, Appointment, Queue, Site, Ticket
from accueil.numbering import next_number
from accueil.statements import Prepared

CHANNELS = ("self", "assisted")
NIR_MAX = 40
"""The longest NIR answer read (spaces and dots count); a longer one is refused as a wrong length."""
PHONE_MAX = 30
"""The longest phone answer read, likewise."""


class InvalidAnswers(InvalidInput):
    """Some answers of a check-in are wrong: ``errors`` maps each wrong field to its error.

    It reads as the first of them where one message is enough.
    """

    def __init__(self, errors: dict[str, InvalidInput]) -> None:
        self.errors = dict(errors)
        first = next(iter(self.errors.values()))
        super().__init__(first.message_id, field=first.field, **first.params)


@dataclass(frozen=True)
class Answers:
    """A visitor's answers, read and checked once: the NIR compact, the phone in E.164."""

    nir: str | None
    phone: str | None
    needs: int
    interpreter_language: str | None
    priority: int


def _within(limit: int, check, refused):
    """Wrap *check*: an answer that is not text, or longer than *limit*, is refused (never parsed whole)."""
    def read(value):
        if not isinstance(value, str):
            raise refused()
        if len(value) > limit:
            check(value[:limit + 1])  # its own words when it has some (« vous en avez tapé 41 »)
            raise refused()
        return check(value)
    return read


def read_answers(*, nir: str | None, phone: str | None = None, priority: int = 0,
                 needs: tuple[str, ...] | list[str] = (), interpreter_language: str | None = None) -> Answers:
    """Check every answer of a check-in; raise InvalidAnswers naming each wrong field at once.

    *nir* None: the visitor has no number. *phone* None or "": none given (it is optional).
    """
    errors: dict[str, InvalidInput] = {}

    def read(field: str, check, value):
        try:
            return check(value)
        except InvalidInput as err:
            errors[field] = err
            return None

    nir_clean = read("nir", _within(NIR_MAX, identity.validate_nir, InvalidNir), nir) if nir is not None else None
    phone_clean = read("phone", _within(PHONE_MAX, identity.normalize_phone, InvalidPhone), phone) if phone not in (None, "") else None
    needs_mask = read("needs", need_rules.mask, needs) or 0
    language = None
    if needs_mask & need_rules.NEEDS[need_rules.INTERPRETER]:
        language = read("interpreter_language", need_rules.check_language, interpreter_language)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 9:
        errors["priority"] = InvalidInput(N_("La priorité va de 0 à 9."), field="priority")
    if errors:
        raise InvalidAnswers(errors)
    return Answers(nir_clean, phone_clean, needs_mask, language, priority)


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


# The statements of the hot path, built once: SQLAlchemy then only binds values and reuses
# the compiled SQL (a check-in is a handful of short statements on one connection).
_SITE = Prepared(select(Site.timezone, Site.checkin_early_minutes, Site.checkin_late_minutes,
               Site.assigned_wait_minutes).where(Site.id == bindparam("site")))
_QUEUES = Prepared(select(Queue.id, Queue.letter, Queue.purpose)
                   .where(Queue.site_id == bindparam("site"), Queue.active == True)  # noqa: E712
                   .order_by(Queue.id))
_ACTIVE_TERMS = (Ticket.service_day == bindparam("day"), Ticket.nir_hash == bindparam("nir_hash"), text(ACTIVE_NIR))
_ACTIVE = Prepared(select(Ticket.id).where(Ticket.site_id == bindparam("site"), *_ACTIVE_TERMS).limit(1))
# A check-in's one lookup before it writes: the ticket its form made when sent before (first), else
# the person's ticket still in progress today. Both are indexed: each OR branch is one index probe.
_HELD = Prepared(select(Ticket.id, (Ticket.form_key == bindparam("key")).label("same_form"))
                 .where(Ticket.site_id == bindparam("site"),
                        or_(Ticket.form_key == bindparam("key"), and_(*_ACTIVE_TERMS)))
                 .order_by(text("same_form DESC")).limit(1))
_INSERT = Prepared(insert(Ticket).returning(Ticket.id))


def route(conn: Connection, site_id: int, has_appointment: bool) -> Row:
    """Return the queue a visitor goes to (id, letter): appointment desks, or the espace numérique."""
    purpose = APPOINTMENT if has_appointment else WALK_IN
    queue = next((q for q in _QUEUES.run(conn, {"site": site_id}) if q.purpose == purpose), None)
    if queue is None:
        raise DomainError(N_("Ce site n'a pas de file pour ce cas. Adressez-vous à l'accueil."))
    return queue


def _ticket_found(session: Session, statement, params: dict) -> Ticket | None:
    """The ticket whose id *statement* finds, if any: an indexed read first, the object only when found."""
    ticket_id = statement.scalar(session.connection(), params)
    return session.get(Ticket, ticket_id) if ticket_id is not None else None


def active_ticket(session: Session, site_id: int, day, nir_hash: str) -> Ticket | None:
    """Return the person's ticket still in progress at that site that day, if any."""
    return _ticket_found(session, _ACTIVE, {"site": site_id, "day": day, "nir_hash": nir_hash})


class AlreadyCheckedIn(InvalidInput):
    """This NIR holds a ticket today, and nothing shows that the person asking holds it.

    The message tells nothing about the ticket or its owner; ``ticket_id`` is for
    ``record_attempt``, never for the person asking.
    """

    code = "already_checked_in"
    message_id = N_("Ce numéro a déjà un ticket aujourd'hui. Pour le retrouver, adressez-vous à l'accueil.")

    def __init__(self, ticket_id: int) -> None:
        self.ticket_id = ticket_id
        super().__init__(field="nir")


def _again(session: Session, vault: identity.Vault, existing: Ticket, *, phone: str | None, channel: str,
           held: str | None) -> CheckIn:
    """Give a person's ticket of the day back, to them only.

    The rule: the ticket comes back to the phone that took it (*held*, the link it keeps), to the
    same NIR typed with the same phone number (a lost page, a new phone), and to an agent
    registering the person; anyone else learns nothing of it, not even its appointment, and the
    attempt is shown to the agents (``record_attempt``).
    """
    same_phone = phone is not None and existing.phone_enc is not None and vault.decrypt(existing.phone_enc) == phone
    if channel == "assisted" or same_phone or (held is not None and held == existing.public_id):
        appointment = session.get(Appointment, existing.appointment_id) if existing.appointment_id else None
        return CheckIn(existing, False, appointment)
    raise AlreadyCheckedIn(existing.id)


_ATTEMPT = (update(Ticket).where(Ticket.id == bindparam("ticket"))
            .values(checkin_attempts=Ticket.checkin_attempts + 1).returning(Ticket.site_id))


def record_attempt(session: Session, *, ticket_id: int, now: datetime) -> None:
    """Count a refused check-in with the ticket's NIR (AlreadyCheckedIn): its row in the consoles says so."""
    site_id = session.connection().execute(_ATTEMPT, {"ticket": ticket_id}).scalar()
    if site_id is not None:
        site_changed(session, site_id, now, kind="attempt")


def _form_key(raw: str | None) -> str | None:
    """The stored form of a check-in form's one-time key (its hash: the key itself stays with the phone)."""
    if not raw or not isinstance(raw, str):
        return None
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


_BY_FORM = Prepared(select(Ticket.id).where(Ticket.site_id == bindparam("site"), Ticket.form_key == bindparam("key")))


def _by_form(session: Session, site_id: int, key: str) -> Ticket | None:
    """The ticket a form sent before made, if any (most forms are sent once)."""
    return _ticket_found(session, _BY_FORM, {"site": site_id, "key": key})


def check_in(
    session: Session,
    vault: identity.Vault,
    *,
    site_id: int | None = None,
    site: Site | None = None,
    has_appointment: bool,
    nir: str | None,
    phone: str | None = None,
    channel: str = "self",
    priority: int = 0,
    needs: tuple[str, ...] | list[str] = (),
    interpreter_language: str | None = None,
    confirm_callback: bool = False,
    held: str | None = None,
    locale: str = "fr",
    sms: bool = True,
    form_key: str | None = None,
    now: datetime,
) -> CheckIn:
    """Issue a ticket, or give back the one the person already holds today.

    The site is *site*, its row as the caller read it in this transaction
    (``agents.site_by_slug``: no second read), or the one whose id is *site_id*.
    The answers are checked first, all of them (InvalidAnswers names each wrong field).
    A NIR that already holds a ticket today gets it back only as ``_again`` says (*held*:
    the ticket link this phone keeps, if any); anyone else gets AlreadyCheckedIn.
    *nir* None means the visitor has no number or does not know it: they still get a
    ticket, flagged for an agent to identify them. An appointment found for the NIR
    today routes to the appointment desks even if the visitor answered "no".

    A phone number means the visitor is told by SMS when their turn comes, unless *sms* is
    False (« Pas de SMS »); their messages are written in *locale*, their page's language.

    *form_key*: the check-in form's one-time key. A form sent twice (a double tap, a resend, on
    any process) gets the ticket its first sending made.
    
    A person whose only appointment today is a phone call-back gets no ticket
    (CallbackOnly) unless *confirm_callback*: they still want to see someone. Their
    ticket then waits in the walk-in queue at its arrival time, linked to the call-back
    so that agents see it; a call-back keeps no desk and gives no place in the queue.
    """
    now = as_utc(now)
    if channel not in CHANNELS:
        raise InvalidInput(N_("Canal d'enregistrement inconnu."), field="channel")
    answers = read_answers(nir=nir, phone=phone, priority=priority, needs=needs,
                           interpreter_language=interpreter_language)
    nir_clean, phone_clean, needs_mask, language = answers.nir, answers.phone, answers.needs, answers.interpreter_language
    conn = session.connection()
    if site is None:
        site = _SITE.first(conn, {"site": site_id}) if is_row_id(site_id) else None
        if site is None:
            raise NotFound(N_("Ce site n'existe pas."))
    else:
        site_id = site.id

    day = service_day(now, site.timezone)
    key = _form_key(form_key)
    nir_hash = vault.hash_nir(nir_clean) if nir_clean else None
    if key is not None or nir_hash is not None:
        held_row = _HELD.first(conn, {"site": site_id, "key": key, "day": day, "nir_hash": nir_hash})
        if held_row is not None:
            existing = session.get(Ticket, held_row.id)
            if held_row.same_form:  # the same form sent again: the ticket its first sending made
                return CheckIn(existing, False, None)
            return _again(session, vault, existing, phone=phone_clean, channel=channel, held=held)

    todays = of_the_day(session, site_id, day, nir_hash) if nir_hash else []
    appointment = arrival_match(todays, now)
    callback = only_callback(todays) if appointment is None else None
    if callback is not None and not confirm_callback:
        raise CallbackOnly(callback, site.timezone)
    # A confirmed call-back goes to the walk-in queue: it has no in-person appointment to keep.
    queue = route(conn, site_id, appointment is not None or (has_appointment and callback is None))
    values = dict(
        public_id=secrets.token_urlsafe(24),
        site_id=site_id,
        service_day=day,
        letter=queue.letter,
        queue_id=queue.id,
        status=WAITING,
        priority=answers.priority,
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
        locale=visitor_locale(locale),
        reach=notices.SMS if phone_clean and sms else 0,
        form_key=key,
    )
    try:
        # On PostgreSQL a concurrent twin (double tap) can pass the lookup above; the
        # partial unique index refuses it and the person gets the twin's ticket. SQLite has
        # one writer at a time, whose transaction saw every commit before it: no twin passes.
        with refusable(session):
            values["number"] = next_number(session, site_id, queue.id, day)
            values["id"] = _INSERT.scalar(conn, values)
    except IntegrityError:
        sent_before = _by_form(session, site_id, key) if key is not None else None
        if sent_before is not None:  # the same form, sent twice at once: its twin's ticket
            return CheckIn(sent_before, False, None)
        existing = active_ticket(session, site_id, day, nir_hash) if nir_hash else None
        if existing is None:
            raise
        return _again(session, vault, existing, phone=phone_clean, channel=channel, held=held)
    # The ticket is written by one INSERT above; the object handed back is built from the
    # same values (not loaded again, not tracked by the session: later changes go through
    # the domain's functions, which read the row).
    ticket = Ticket.model_construct(**values)
    log_transition(session, ticket, "issue", None, now)
    return CheckIn(ticket, True, appointment or callback)
