"""The tables. Personal data (NIR, phone) only ever sits in the ``*_enc`` and ``nir_hash`` columns."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from accueil.clock import DEFAULT_TIMEZONE
from accueil.lifecycle import ACTIVE
from accueil.types import UTCDateTime

# Queue kinds: desks call one ticket at a time per desk; a zone seats several visitors at once.
DESKS = "desks"
ZONE = "zone"
# Queue purposes used by check-in routing.
APPOINTMENT = "appointment"
WALK_IN = "walk_in"
# Agent roles.
AGENT = "agent"
SUPERVISOR = "supervisor"
# Appointment kinds.
AT_DESK = "desk"
LSF_VIDEO = "lsf"
PHONE_CALLBACK = "phone"


def _instant(nullable: bool = True, index: bool = False):
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Site(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=120)
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=64)
    retention_hours: int = Field(default=0, ge=0)
    """Personal data is erased this many hours after the end of the visit's service day."""
    version: int = 0
    """Bumped by every change of the site's queues; carried by each event so clients see gaps."""
    checkin_early_minutes: int = 30
    """Arriving more than this before the appointment flags the ticket « en avance » (never refused)."""
    checkin_late_minutes: int = 15
    """Arriving more than this after the appointment flags the ticket « en retard » (never refused)."""
    assigned_wait_minutes: int = 10
    """An appointment assigned to an agent or desk waits this long for them before others may call it."""
    priority_rule: str = Field(default="first", max_length=10)
    """How priority tickets are ordered in their queue: accueil.needs.PRIORITY_RULES."""
    notify_soon_people: int = 2
    """« Bientôt votre tour » goes when this many people or fewer are before the visitor…"""
    notify_soon_minutes: int = 5
    """…or when the estimated wait is this many minutes or less, whichever comes first."""
    notify_no_show: bool = True
    """Tell a visitor who did not answer the call what to do (« Vous n'avez pas répondu à l'appel »)."""
    accent: str | None = Field(default=None, max_length=7)
    """The office's colour (« #004c97 ») for buttons and links of its pages; None: the product's own."""
    logo_version: int = 0
    """Positive while the site has a logo (SiteLogo), one more with each new one so pages ask for it again;
    0 or negative: none (its magnitude kept, so a logo uploaded later gets an address never used)."""
    documents_days: int = 30
    """A list of documents to provide (Checklist) stays reachable through its link this many days."""
    documents_how: str | None = Field(default=None, max_length=400)
    """How to send the documents, as the site's supervisor wrote it; None: the product's words, translated."""


class SiteLogo(SQLModel, table=True):
    """The office's logo (PNG or SVG, checked by accueil.branding), apart from the site's row: every visitor
    request reads the site, none needs these bytes but the logo's own address."""

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    media_type: str = Field(max_length=20)


class DisplayMessage(SQLModel, table=True):
    """A message the site's waiting-room screens show in turn while nobody is being called (set by a supervisor).

    Public by nature (« Prenez rendez-vous par téléphone au 3230 »): never about a person. *link*, when set, is
    shown as a QR code with its address, for the phones in the room (the FALC tutorials, the caf.fr account).
    """

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    text: str = Field(max_length=160)
    link: str | None = Field(default=None, max_length=300)


class OpeningPeriod(SQLModel, table=True):
    """A period the site is open on a weekday (local time); a day without any is closed."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    weekday: int
    """0 is Monday, 6 is Sunday."""
    opens: int
    """Minutes after local midnight."""
    closes: int


class Queue(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("site_id", "letter"),)
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    letter: str = Field(max_length=1)
    name: str = Field(max_length=80)
    kind: str = Field(default=DESKS, max_length=10)
    seats: int | None = None
    purpose: str | None = Field(default=None, max_length=20)
    active: bool = True


class Desk(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("site_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=40)
    """What the display shows and the announcement says (« Bureau 3 »)."""
    active: bool = True
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    """The agent working at the desk now (one at a time)."""
    taken_at: datetime | None = _instant()
    paused_at: datetime | None = _instant()
    """Set while the agent has paused: the desk calls nobody."""
    capabilities: int = 0
    """Bit mask of accueil.needs: LSF video, translator device, ground floor."""
    directions: str | None = Field(default=None, max_length=120)
    """How to find the desk (« Rez-de-chaussée, à gauche »), shown to the visitor it calls."""
    printer: str | None = Field(default=None, max_length=60)
    """The network address of the desk's thermal slip printer (« 192.168.1.50:9100 »), if it has one."""


class DeskQueue(SQLModel, table=True):
    desk_id: int = Field(foreign_key="desk.id", primary_key=True)
    queue_id: int = Field(foreign_key="queue.id", primary_key=True)


class Agent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    login: str = Field(max_length=60, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=AGENT, max_length=20)
    active: bool = True


class Appointment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    service_day: date = Field(index=True)
    at: datetime = _instant(nullable=False)
    nir_hash: str | None = Field(default=None, max_length=64, index=True)
    kind: str = Field(default=AT_DESK, max_length=10)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    desk_id: int | None = Field(default=None, foreign_key="desk.id")
    reason: str | None = Field(default=None, max_length=200)


class Counter(SQLModel, table=True):
    """The last number issued per site, queue and service day (bumped by an upsert)."""

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    queue_id: int = Field(foreign_key="queue.id", primary_key=True)
    service_day: date = Field(primary_key=True)
    last: int = 0


ACTIVE_NIR = f"status IN ({', '.join(repr(status) for status in ACTIVE)}) AND nir_hash IS NOT NULL"
"""The tickets that hold their visitor's place (accueil.lifecycle.ACTIVE) and carry a NIR.

Written as literal SQL, once: a query finds the partial index below only when its WHERE
repeats this text (SQLite cannot see that bound parameters fall inside the index).
"""


WAITING_ONLY = "status = 'waiting'"
"""The waiting tickets: the call's indexes hold only them (the waiting room, not the months behind it).
Literal SQL, repeated by the queries that use those indexes (as ACTIVE_NIR above)."""
RESERVED_WAITING = f"{WAITING_ONLY} AND (reserved_desk_id IS NOT NULL OR reserved_agent_id IS NOT NULL)"
"""The waiting tickets whose appointment keeps them for a desk or an agent (a few a day)."""


def _partial(name: str, *columns, where: str, unique: bool = False) -> Index:
    """An index of the rows *where* holds (literal SQL), the same on SQLite and PostgreSQL."""
    return Index(name, *columns, unique=unique, sqlite_where=text(where), postgresql_where=text(where))


def ticket_code(letter: str, number: int) -> str:
    """The number people say and see: the queue's letter and three digits (R007)."""
    return f"{letter}{number:03d}"


class Ticket(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("site_id", "service_day", "letter", "number"),
        # One active ticket per person, site and day: the database itself refuses a second.
        _partial("uq_ticket_active_nir", "site_id", "service_day", "nir_hash", where=ACTIVE_NIR, unique=True),
        Index("ix_ticket_site_status", "site_id", "status"),
        # The next ticket of a queue is the first entry of one of these, whatever the size of the
        # waiting room: one per priority rule, in its order (accueil.tickets.call_order).
        _partial("ix_ticket_next_priority_first", "site_id", "service_day", "queue_id", text("priority DESC"),
                 "due_at", "queued_at", "id", where=WAITING_ONLY),
        _partial("ix_ticket_next_time_first", "site_id", "service_day", "queue_id", "due_at", text("priority DESC"),
                 "queued_at", "id", where=WAITING_ONLY),
        # (status: a third equal column, so that SQLite's planner prefers it to ix_ticket_site_status.)
        _partial("ix_ticket_reserved", "site_id", "service_day", "status", where=RESERVED_WAITING),
        # Only tickets called to a desk: a check-in writes no entry here.
        _partial("ix_ticket_desk_id", "desk_id", where="desk_id IS NOT NULL"),
        # One ticket per check-in form: a double tap or a resent form finds the first one (any process).
        Index("uq_ticket_form_key", "site_id", "form_key", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=43, unique=True)
    """The secret of the visitor's ticket link."""
    site_id: int = Field(foreign_key="site.id")
    service_day: date
    letter: str = Field(max_length=1)
    number: int
    queue_id: int = Field(foreign_key="queue.id", index=True)
    status: str = Field(max_length=12)
    priority: int = 0
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id")
    claimed_appointment: bool = False
    appointment_not_found: bool = False
    needs_identification: bool = False
    channel: str = Field(default="self", max_length=10)
    arrived_at: datetime = _instant(nullable=False)
    queued_at: datetime = _instant(nullable=False)
    due_at: datetime = _instant(nullable=False)
    called_at: datetime | None = _instant()
    started_at: datetime | None = _instant()
    finished_at: datetime | None = _instant()
    desk_id: int | None = Field(default=None, foreign_key="desk.id")
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    recalls: int = 0
    needs: int = 0
    """Bit mask of accueil.needs: only desks with every matching capability call the ticket next."""
    interpreter_language: str | None = Field(default=None, max_length=8)
    arrival_flag: str | None = Field(default=None, max_length=10)
    """« early » or « late » against the appointment's check-in window."""
    reserved_desk_id: int | None = Field(default=None, foreign_key="desk.id")
    reserved_agent_id: int | None = Field(default=None, foreign_key="agent.id")
    reserved_until: datetime | None = _instant()
    """Until then only the appointment's own desk or agent may call the ticket."""
    nir_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    nir_hash: str | None = Field(default=None, max_length=64)
    phone_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    purged_at: datetime | None = _instant()
    surveyed: bool = False
    """The visitor has answered the survey (once a ticket; the answer itself names no ticket)."""
    checkin_attempts: int = 0
    """Check-ins refused with this ticket's NIR from somewhere else (accueil.checkin._again)."""
    locale: str = Field(default="fr", max_length=8)
    """The language of the visitor's page: their messages are written in it."""
    reach: int = 0
    """How the visitor can be told outside their page: bit mask of accueil.notices (SMS, push)."""
    left: bool = False
    """The visitor left the queue from their page (« Je pars »): cancelled by them, not by an agent."""
    form_key: str | None = Field(default=None, max_length=32)
    """A hash of the check-in form's one-time key (accueil.checkin): the same form never makes two tickets."""
    checklist: str | None = Field(default=None, max_length=43)
    """The link secret of the documents the visitor was last asked for today (Checklist), shown on the ticket's
    page; erased with the personal data, after which only the visitor's own link leads to the list."""
    # Figures kept with the anonymous ticket (statistics read these, not the personal data):
    arrival_hour: int | None = None
    """Local hour of arrival at the site (0-23)."""
    first_called_at: datetime | None = _instant()
    wait_seconds: int | None = None
    """From arrival to the first call: the CNAF indicator's wait."""
    first_started_at: datetime | None = _instant()
    """Set when an agent first saw the visitor: a ticket without it left without contact."""
    service_seconds: int | None = None
    """Time spent with agents, summed over services (a transferred visitor may be seen twice)."""

    @property
    def code(self) -> str:
        """The number people say and see (``ticket_code``)."""
        return ticket_code(self.letter, self.number)


class TicketTransition(SQLModel, table=True):
    """The history of a ticket; holds no personal data and survives the purge."""

    # A site's day, newest first (the last calls of site_state): one index, where a site's and a day's
    # each cost every write its own.
    __table_args__ = (Index("ix_tickettransition_site_day", "site_id", "service_day", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    site_id: int = Field(foreign_key="site.id")
    service_day: date
    kind: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str = Field(max_length=12)
    queue_id: int = Field(foreign_key="queue.id")
    desk_id: int | None = Field(default=None, foreign_key="desk.id")
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    at: datetime = _instant(nullable=False)
    version: int


class NirReveal(SQLModel, table=True):
    """Who saw a NIR in clear, when, on which ticket."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    agent_id: int = Field(foreign_key="agent.id")
    at: datetime = _instant(nullable=False)


# Device kinds.
KIOSK = "kiosk"
DISPLAY = "display"


class Device(SQLModel, table=True):
    """A kiosk or waiting-room screen enrolled for a site; only hashes of its secrets are kept."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    kind: str = Field(max_length=10)
    label: str = Field(default="", max_length=80)
    enrol_hash: str | None = Field(default=None, max_length=64, unique=True)
    enrol_expires_at: datetime | None = _instant()
    secret_hash: str | None = Field(default=None, max_length=64)
    enrolled_at: datetime | None = _instant()
    revoked_at: datetime | None = _instant()
    last_seen_at: datetime | None = _instant()


class SurveyAnswer(SQLModel, table=True):
    """A visitor's satisfaction answer: deliberately linked to no ticket and no person."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    service_day: date = Field(index=True)
    queue_letter: str = Field(max_length=1)
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


class AgentSession(SQLModel, table=True):
    """An agent's sign-in, known to the server: it ends at logout, when the account is disabled or its
    password changes, and after the idle limit; a copy of an ended session's cookie opens nothing."""

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    """SHA-256 of the secret the agent's cookie carries (the database alone cannot open a session)."""
    agent_id: int = Field(foreign_key="agent.id", index=True)
    started_at: datetime = _instant(nullable=False)
    ended_at: datetime | None = _instant()


class ConsoleAction(SQLModel, table=True):
    """An agent's console action already done: a repeated key (double press, resend) does nothing."""

    # Each action forgets the agent's keys older than a day: a range of this index, not all their keys.
    __table_args__ = (Index("ix_consoleaction_agent_at", "agent_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    agent_id: int = Field(foreign_key="agent.id")
    at: datetime = _instant(nullable=False)


class ApiToken(SQLModel, table=True):
    """A token of an integration (booking system, statistics), scoped to one site; only its hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    label: str = Field(default="", max_length=80)
    token_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(default="", max_length=200)
    """Space-separated: appointments:write, queues:read, stats:read."""
    created_at: datetime = _instant(nullable=False)
    revoked_at: datetime | None = _instant()


class Notice(SQLModel, table=True):
    """A message to a visitor (« C'est votre tour »), written with what caused it, then sent (an outbox).

    One row per ticket, kind, round and channel: the database itself refuses a second, so a
    message is queued at most once whoever notices it first. Holds no personal data: the
    sender reads the phone or push subscription from the ticket at the last moment.
    """

    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "round", "channel"),
        Index("ix_notice_due", "status", "next_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    site_id: int = Field(foreign_key="site.id")
    service_day: date = Field(index=True)
    kind: str = Field(max_length=10)
    """soon, call, no_show (accueil.notices)."""
    round: int = 0
    """The call's recall count (« 2e appel »); 0 for the other kinds."""
    channel: str = Field(max_length=5)
    """sms or push."""
    locale: str = Field(default="fr", max_length=8)
    code: str = Field(max_length=8)
    desk: str | None = Field(default=None, max_length=40)
    directions: str | None = Field(default=None, max_length=120)
    status: str = Field(default="pending", max_length=10)
    """pending, sent, failed (the provider refused), expired (too late to be useful), dropped (no longer true)."""
    attempts: int = 0
    created_at: datetime = _instant(nullable=False)
    next_at: datetime = _instant(nullable=False)
    """Not tried before this (back-off after a temporary failure)."""
    claimed_until: datetime | None = _instant()
    """A sender holds it until then; after that, a sender that died has lost it and another takes it."""
    done_at: datetime | None = _instant()
    reason: str | None = Field(default=None, max_length=200)
    """Why it failed, expired or was dropped (the provider's answer, for the agent and supervisor)."""
    link: str | None = Field(default=None, max_length=200)
    """The address the message gives (the list of documents to provide), for the kinds that give one."""


class PushSubscription(SQLModel, table=True):
    """A visitor's browser that asked to be told when their phone sleeps (Web Push), one per ticket.

    The subscription (its endpoint and keys) is encrypted like the phone number and erased with it.
    """

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    data_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _instant(nullable=False)


class DocumentKind(SQLModel, table=True):
    """A site's change to the network's catalogue of documents (accueil.documents.CATALOGUE): one of the
    network's entries hidden, or a document of the site's own, named by its supervisor (in French)."""

    __table_args__ = (UniqueConstraint("site_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    key: str = Field(max_length=40)
    """The network entry's key, or « site-N » for a document of the site's own."""
    hidden: bool = False
    name: str | None = Field(default=None, max_length=80)
    description: str | None = Field(default=None, max_length=160)
    pictogram: str | None = Field(default=None, max_length=40)


class Checklist(SQLModel, table=True):
    """The documents a visitor was asked to provide: document kinds, a date and chosen phrases, nothing more.

    It names nobody: no NIR, name, phone or ticket number. Its secret is the visitor's link, valid until
    *expires_at*; then the secret is erased and the row stays for the statistics (which documents, which week,
    which queue's visitors).
    """

    id: int | None = Field(default=None, primary_key=True)
    secret: str | None = Field(default=None, max_length=43, unique=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    queue_id: int | None = Field(default=None, foreign_key="queue.id")
    service_day: date = Field(index=True)
    created_at: datetime = _instant(nullable=False)
    expires_at: datetime = _instant(nullable=False)
    due_on: date | None = None
    """The date the visitor is asked to provide the documents by, if the agent gave one."""


class ChecklistItem(SQLModel, table=True):
    """One document of a Checklist, with the phrase the agent chose for it (accueil.documents.PHRASES)."""

    id: int | None = Field(default=None, primary_key=True)
    checklist_id: int = Field(foreign_key="checklist.id", index=True)
    position: int = 0
    key: str = Field(max_length=40)
    phrase: str | None = Field(default=None, max_length=20)
