"""A site's configuration, as its supervisors change it: settings, opening hours, queues, desks, agents.

Every operation checks its input (InvalidInput naming the form field, in French), touches
only the given site's rows, bumps the site's version and records a SiteChanged event, so
that consoles and displays resync once the change is committed. Sites themselves are
created by the network's administrators (`accueil site add`), not by supervisors.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from accueil import agent_sessions, needs
from accueil.agents import MIN_PASSWORD, add_agent, hash_password, normalize_login
from accueil.clock import DEFAULT_TIMEZONE, as_utc
from accueil.desks import release_all
from accueil.errors import InvalidInput, NotFound
from accueil.events import AccessEnded, record
from accueil.history import site_changed
from accueil.i18n import N_
from accueil.ids import is_row_id, is_slug, row_id
from accueil.lifecycle import ACTIVE, CALLED, SERVING, WAITING
from accueil.models import (
    AGENT,
    APPOINTMENT,
    DESKS,
    SUPERVISOR,
    WALK_IN,
    ZONE,
    Agent,
    Desk,
    DeskQueue,
    DisplayMessage,
    OpeningPeriod,
    Queue,
    Site,
    Ticket,
)
from accueil.text import read_link, read_text

WEEKDAYS = (N_("Lundi"), N_("Mardi"), N_("Mercredi"), N_("Jeudi"), N_("Vendredi"), N_("Samedi"), N_("Dimanche"))
KIND_LABELS = {DESKS: N_("Bureaux : un visiteur à la fois par bureau"),
               ZONE: N_("Espace : plusieurs places assises")}
PURPOSE_LABELS = {APPOINTMENT: N_("Les visiteurs avec rendez-vous"),
                  WALK_IN: N_("Les visiteurs sans rendez-vous"),
                  "": N_("Aucun : seulement par transfert")}
ROLE_LABELS = {AGENT: N_("Agent"), SUPERVISOR: N_("Superviseur")}

MAX_RETENTION_HOURS = 720
"""Personal data is kept at most 30 days after the visit (data minimisation)."""
MAX_WINDOW_MINUTES = 240
MAX_ASSIGNED_WAIT_MINUTES = 120
MAX_SOON_PEOPLE = 20
MAX_SOON_MINUTES = 60
MAX_DIRECTIONS = 120
MAX_SEATS = 500
MAX_PERIODS = 3
PERIOD_RE = re.compile(r"^(\d{1,2})[:h](\d{2})\s*[-–à]\s*(\d{1,2})[:h](\d{2})$")


# --- shared checks ---------------------------------------------------------------------------


def _text(value: object, field: str, limit: int) -> str:
    text = read_text(value, field=field, limit=limit)
    if not text:
        raise InvalidInput(N_("Écrivez un nom."), field=field)
    return text


def _number(value: object, field: str, low: int, high: int) -> int:
    raw = str(value if value is not None else "").strip()
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not low <= int(raw) <= high:
        raise InvalidInput(N_("Écrivez un nombre entier entre %(low)s et %(high)s."), field=field, low=low,
                           high=high)
    return int(raw)


def _site(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(N_("Ce site n'existe pas."))
    return site


# --- sites -----------------------------------------------------------------------------------


def create_site(session: Session, *, slug: str, name: str, timezone: str = DEFAULT_TIMEZONE) -> Site:
    """Create a site (an administrator's task, from the command line)."""
    slug = (slug or "").strip().lower()
    if not is_slug(slug):
        raise InvalidInput(N_("Le code du site : 2 à 40 caractères, lettres minuscules, chiffres et tirets."),
                           field="slug")
    if session.exec(select(Site).where(Site.slug == slug)).first() is not None:
        raise InvalidInput(N_("Le site « %(slug)s » existe déjà."), field="slug", slug=slug)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(N_("Ce fuseau horaire n'existe pas."), field="timezone") from None
    site = Site(slug=slug, name=_text(name, "name", 120), timezone=timezone)
    session.add(site)
    session.flush()
    return site


def update_site(session: Session, *, site_id: int, name: str, retention_hours: object, checkin_early_minutes: object,
                checkin_late_minutes: object, assigned_wait_minutes: object, priority_rule: str,
                notify_soon_people: object = None, notify_soon_minutes: object = None,
                notify_no_show: bool | None = None, now: datetime) -> Site:
    """Change the site's name, retention of personal data, check-in window, assigned wait, priority rule and,
    when given, when visitors are told « bientôt votre tour » and whether an absent one is told what to do."""
    site = _site(session, site_id)
    values = {
        "name": _text(name, "name", 120),
        "retention_hours": _number(retention_hours, "retention_hours", 0, MAX_RETENTION_HOURS),
        "checkin_early_minutes": _number(checkin_early_minutes, "checkin_early_minutes", 0, MAX_WINDOW_MINUTES),
        "checkin_late_minutes": _number(checkin_late_minutes, "checkin_late_minutes", 0, MAX_WINDOW_MINUTES),
        "assigned_wait_minutes": _number(assigned_wait_minutes, "assigned_wait_minutes", 0,
                                         MAX_ASSIGNED_WAIT_MINUTES),
        "priority_rule": needs.check_rule(priority_rule),
    }
    if notify_soon_people is not None:
        values["notify_soon_people"] = _number(notify_soon_people, "notify_soon_people", 0, MAX_SOON_PEOPLE)
    if notify_soon_minutes is not None:
        values["notify_soon_minutes"] = _number(notify_soon_minutes, "notify_soon_minutes", 0, MAX_SOON_MINUTES)
    if notify_no_show is not None:
        values["notify_no_show"] = bool(notify_no_show)
    for key, value in values.items():
        setattr(site, key, value)
    session.add(site)
    site_changed(session, site_id, now)
    return site


# --- opening hours ---------------------------------------------------------------------------


def parse_periods(text: str, field: str) -> list[tuple[int, int]]:
    """Read « 08:30-12:00, 13:30-16:30 » into minutes after midnight; empty means closed."""
    periods = []
    for part in [p.strip() for p in re.split(r"[,;]", text or "") if p.strip()]:
        match = PERIOD_RE.match(part)
        if not match:
            raise InvalidInput(N_("Écrivez les horaires ainsi : 08:30-12:00, 13:30-16:30. Laissez vide si le site "
                                  "est fermé."), field=field)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise InvalidInput(N_("Cette heure n'existe pas : %(part)s."), field=field, part=part[:20])
        opens, closes = h1 * 60 + m1, h2 * 60 + m2
        if opens >= closes:
            raise InvalidInput(N_("L'heure de fermeture doit venir après l'heure d'ouverture : %(part)s."),
                               field=field, part=part[:20])
        periods.append((opens, closes))
    return _ordered(periods, field)


TIME_RE = re.compile(r"^(\d{1,2})[:hH](\d{2})(?::\d{2})?$")


@dataclass(frozen=True)
class DayAnswer:
    """One weekday of the hours form: closed, « comme lundi », or its periods as typed (opens, closes)."""

    closed: bool = False
    like_monday: bool = False
    periods: tuple[tuple[str, str], ...] = ()


def _minute(text: str, field: str) -> int:
    match = TIME_RE.match(text.strip())
    hours, minutes = (int(g) for g in match.groups()) if match else (99, 99)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise InvalidInput(N_("Cette heure n'existe pas : %(part)s."), field=field, part=text.strip()[:20])
    return hours * 60 + minutes


def read_week(answers: dict[int, DayAnswer]) -> dict[int, list[tuple[int, int]]]:
    """Read the week as the hours form gives it (weekday → DayAnswer; a missing day is closed).

    A period is an opening and a closing time (a row left blank is no period); « comme lundi »
    takes Monday's periods; errors name their day (``hours-N``) with the same rules as typed text.
    """
    week: dict[int, list[tuple[int, int]]] = {}
    for day in range(7):
        answer, field = answers.get(day, DayAnswer(closed=True)), f"hours-{day}"
        if answer.closed:
            week[day] = []
            continue
        if day and answer.like_monday:
            week[day] = list(week[0])
            continue
        periods = []
        for opens, closes in answer.periods:
            opens, closes = (opens or "").strip(), (closes or "").strip()
            if not opens and not closes:
                continue
            if not opens or not closes:
                raise InvalidInput(N_("Donnez l'heure d'ouverture et l'heure de fermeture, ou cochez « Fermé »."),
                                   field=field)
            start, end = _minute(opens, field), _minute(closes, field)
            if start >= 24 * 60 or start >= end:
                raise InvalidInput(N_("L'heure de fermeture doit venir après l'heure d'ouverture : %(part)s."),
                                   field=field, part=f"{opens}-{closes}"[:20])
            periods.append((start, end))
        week[day] = _ordered(periods, field)
    return week


def _ordered(periods: list[tuple[int, int]], field: str) -> list[tuple[int, int]]:
    """The day's periods in order, at most MAX_PERIODS and none overlapping another."""
    periods = sorted(periods)
    if len(periods) > MAX_PERIODS:
        raise InvalidInput(N_("%(max)s périodes par jour au plus."), field=field, max=MAX_PERIODS)
    for (_o1, c1), (o2, _c2) in zip(periods, periods[1:]):
        if o2 < c1:
            raise InvalidInput(N_("Deux périodes se chevauchent."), field=field)
    return periods


def format_time(minutes: int) -> str:
    """A time of day as a time field shows it (« 08:30 »)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_periods(periods: list[tuple[int, int]]) -> str:
    """Write periods back as the form shows them (« 08:30-12:00, 13:30-16:30 »)."""
    return ", ".join(f"{o // 60:02d}:{o % 60:02d}-{c // 60:02d}:{c % 60:02d}" for o, c in periods)


def opening_hours(session: Session, site_id: int) -> dict[int, list[tuple[int, int]]]:
    """The site's periods for each weekday (0 is Monday), in order; [] for a closed day."""
    hours: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
    rows = session.exec(select(OpeningPeriod).where(OpeningPeriod.site_id == site_id)
                        .order_by(OpeningPeriod.weekday, OpeningPeriod.opens)).all()
    for row in rows:
        hours[row.weekday].append((row.opens, row.closes))
    return hours


def set_opening_hours(session: Session, *, site_id: int, days: dict[int, str], now: datetime) -> dict:
    """Replace the site's opening hours with *days* (weekday → « 08:30-12:00, 13:30-16:30 »)."""
    return set_week(session, site_id=site_id, week={day: parse_periods(days.get(day, ""), f"hours-{day}")
                                                    for day in range(7)}, now=now)


def set_opening_week(session: Session, *, site_id: int, answers: dict[int, DayAnswer], now: datetime) -> dict:
    """Replace the site's opening hours with the hours form's *answers* (``read_week``)."""
    return set_week(session, site_id=site_id, week=read_week(answers), now=now)


def set_week(session: Session, *, site_id: int, week: dict[int, list[tuple[int, int]]], now: datetime) -> dict:
    """Replace the site's opening hours with *week* (weekday → periods in minutes, already read)."""
    _site(session, site_id)
    parsed = {day: week.get(day, []) for day in range(7)}
    session.execute(delete(OpeningPeriod).where(OpeningPeriod.site_id == site_id))
    for day, periods in parsed.items():
        session.add_all([OpeningPeriod(site_id=site_id, weekday=day, opens=o, closes=c) for o, c in periods])
    site_changed(session, site_id, now)
    return parsed


@dataclass(frozen=True)
class Closed:
    """The site is closed at that moment: *opens_at* is its next opening today (None: not again today)."""

    opens_at: datetime | None


def closed_now(session: Session, site: Site, at: datetime) -> Closed | None:
    """Return Closed when the site has opening hours and *at* is outside them; None when open or unset.

    A site without any opening hours is never said closed (nothing configured yet).
    """
    hours = opening_hours(session, site.id)
    if not any(hours.values()):
        return None
    tz = ZoneInfo(site.timezone)
    local = as_utc(at).astimezone(tz)
    minute = local.hour * 60 + local.minute
    today = hours[local.weekday()]
    if any(o <= minute < c for o, c in today):
        return None
    later = [o for o, _c in today if o > minute]
    if not later:
        return Closed(None)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    return Closed((midnight + timedelta(minutes=min(later))).replace(tzinfo=tz).astimezone(timezone.utc))


# --- queues ----------------------------------------------------------------------------------


def _queue(session: Session, site_id: int, queue_id: object) -> Queue:
    queue = session.get(Queue, queue_id) if is_row_id(queue_id) else None
    if queue is None or queue.site_id != site_id:
        raise NotFound(N_("Cette file n'existe pas."))
    return queue


def _kind_and_seats(kind: str, seats: object) -> tuple[str, int | None]:
    if kind not in KIND_LABELS:
        raise InvalidInput(N_("Choisissez des bureaux ou un espace."), field="kind")
    if kind == ZONE:
        return kind, _number(seats, "seats", 1, MAX_SEATS)
    return kind, None


def _purpose(purpose: str | None) -> str | None:
    purpose = purpose or ""
    if purpose not in PURPOSE_LABELS:
        raise InvalidInput(N_("Choisissez qui arrive dans cette file."), field="purpose")
    return purpose or None


def _routed(session: Session, site_id: int) -> set[str]:
    """The arrivals (with or without an appointment) that have an active queue to go to."""
    rows = session.exec(select(Queue.purpose).where(Queue.site_id == site_id, Queue.active == True)).all()  # noqa: E712
    return {p for p in rows if p}


def _keep_routing(session: Session, site_id: int, before: set[str], field: str) -> None:
    """Refuse a change that leaves arriving visitors of some kind without a queue."""
    session.flush()
    lost = before - _routed(session, site_id)
    if APPOINTMENT in lost:
        raise InvalidInput(N_("C'est la seule file ouverte pour les visiteurs avec rendez-vous. Ouvrez-en une autre "
                              "pour eux d'abord."), field=field)
    if WALK_IN in lost:
        raise InvalidInput(N_("C'est la seule file ouverte pour les visiteurs sans rendez-vous. Ouvrez-en une autre "
                              "pour eux d'abord."), field=field)


def create_queue(session: Session, *, site_id: int, letter: str, name: str, kind: str, seats: object = None,
                 purpose: str | None = None, now: datetime) -> Queue:
    """Open a queue: its letter (A–Z, one per site) starts its ticket numbers."""
    _site(session, site_id)
    letter = (letter or "").strip().upper()
    if not re.fullmatch(r"[A-Z]", letter):
        raise InvalidInput(N_("La lettre de la file : une seule lettre, de A à Z."), field="letter")
    taken = session.exec(select(Queue).where(Queue.site_id == site_id, Queue.letter == letter)).first()
    if taken is not None:
        raise InvalidInput(N_("La lettre %(letter)s est déjà prise par la file « %(name)s »."), field="letter",
                           letter=letter, name=taken.name)
    name = _text(name, "name", 80)
    kind, seats = _kind_and_seats(kind, seats)
    queue = Queue(site_id=site_id, letter=letter, name=name, kind=kind, seats=seats, purpose=_purpose(purpose))
    session.add(queue)
    site_changed(session, site_id, now)
    return queue


def update_queue(session: Session, *, site_id: int, queue_id: int, name: str, kind: str, seats: object = None,
                 purpose: str | None = None, now: datetime) -> Queue:
    """Rename a queue, change its kind, seats or who arrives in it (its letter stays)."""
    queue = _queue(session, site_id, queue_id)
    before = _routed(session, site_id)
    queue.name = _text(name, "name", 80)
    queue.kind, queue.seats = _kind_and_seats(kind, seats)
    queue.purpose = _purpose(purpose)
    session.add(queue)
    _keep_routing(session, site_id, before, "purpose")
    site_changed(session, site_id, now)
    return queue


def set_queue_active(session: Session, *, site_id: int, queue_id: int, active: bool, now: datetime) -> Queue:
    """Close or reopen a queue. A queue where people still wait is not closed: they would never be called."""
    queue = _queue(session, site_id, queue_id)
    if not active and queue.active:
        waiting = session.exec(select(func.count()).select_from(Ticket)
                               .where(Ticket.queue_id == queue.id, col(Ticket.status).in_(ACTIVE))).one()
        if waiting:
            raise InvalidInput(N_("La file %(letter)s n'est pas fermée : %(count)s ticket(s) y sont encore en cours. "
                                  "Transférez-les vers une autre file, ou recevez-les, puis recommencez."),
                               field="active", letter=queue.letter, count=int(waiting))
    before = _routed(session, site_id)
    queue.active = bool(active)
    session.add(queue)
    _keep_routing(session, site_id, before, "active")
    site_changed(session, site_id, now)
    return queue


# --- desks -----------------------------------------------------------------------------------


def _desk(session: Session, site_id: int, desk_id: object) -> Desk:
    desk = session.get(Desk, desk_id) if is_row_id(desk_id) else None
    if desk is None or desk.site_id != site_id:
        raise NotFound(N_("Ce bureau n'existe pas."))
    return desk


def _desk_name(session: Session, site_id: int, name: str, desk_id: int | None) -> str:
    name = _text(name, "name", 40)
    other = session.exec(select(Desk).where(Desk.site_id == site_id, Desk.name == name)).first()
    if other is not None and other.id != desk_id:
        raise InvalidInput(N_("Un autre bureau s'appelle déjà « %(name)s »."), field="name", name=name)
    return name


def _served(session: Session, site_id: int, queue_ids: list) -> list[int]:
    raw = {str(q) for q in queue_ids or ()}
    if not raw:
        raise InvalidInput(N_("Choisissez au moins une file pour ce bureau."), field="queues")
    read = {row_id(q) for q in raw}
    if None in read:
        raise InvalidInput(N_("Choisissez des files ouvertes de ce site."), field="queues")
    ids = sorted(read)
    found = session.exec(select(Queue.id).where(Queue.site_id == site_id, Queue.active == True,  # noqa: E712
                                                col(Queue.id).in_(ids))).all()
    if len(found) != len(ids):
        raise InvalidInput(N_("Choisissez des files ouvertes de ce site."), field="queues")
    return ids


def _capabilities(codes: list) -> int:
    try:
        return needs.mask(codes)
    except InvalidInput:
        raise InvalidInput(N_("Équipement inconnu."), field="capabilities") from None


def _set_queues(session: Session, desk_id: int, queue_ids: list[int]) -> None:
    session.execute(delete(DeskQueue).where(DeskQueue.desk_id == desk_id))
    session.add_all([DeskQueue(desk_id=desk_id, queue_id=q) for q in queue_ids])


def _directions(value: object) -> str | None:
    return read_text(value, field="directions", limit=MAX_DIRECTIONS) or None


PRINTER_PORT = 9100
"""The port of network thermal printers (« raw » printing, JetDirect), unless the address says another."""


def read_printer(value: object, field: str = "printer") -> str | None:
    """Read a desk printer's address (« 192.168.1.50 », « 192.168.1.50:9100 », « [fd00::5]:9100 »); "" is none.

    Only an IP address of the office's own network (private, or this machine for a test) and a port:
    the server connects where this says, so it may not be sent to any address on the internet.
    """
    text = read_text(value, field=field, limit=60)
    if not text:
        return None
    host, port = text, PRINTER_PORT
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?|([0-9.]+)(?::(\d{1,5}))?", text)
    try:
        if match is None:
            raise ValueError(text)
        host = match.group(1) or match.group(3)
        port = int(match.group(2) or match.group(4) or PRINTER_PORT)
        address = ipaddress.ip_address(host)
    except ValueError:
        raise InvalidInput(N_("Écrivez l'adresse de l'imprimante sur le réseau du bureau, par exemple 192.168.1.50 "
                              "ou 192.168.1.50:9100."), field=field) from None
    if not (address.is_private or address.is_loopback) or address.is_unspecified or address.is_multicast \
            or not 1 <= port <= 65535:
        raise InvalidInput(N_("L'imprimante doit être sur le réseau du bureau (une adresse comme 192.168.1.50)."),
                           field=field)
    return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"


def create_desk(session: Session, *, site_id: int, name: str, queue_ids: list, capabilities: list,
                directions: object = None, printer: object = None, now: datetime) -> Desk:
    """Open a desk: the name the display shows, the queues it calls from, its equipment, how to find it."""
    _site(session, site_id)
    desk = Desk(site_id=site_id, name=_desk_name(session, site_id, name, None),
                capabilities=_capabilities(capabilities), directions=_directions(directions),
                printer=read_printer(printer))
    ids = _served(session, site_id, queue_ids)
    session.add(desk)
    session.flush()
    _set_queues(session, desk.id, ids)
    site_changed(session, site_id, now)
    return desk


def update_desk(session: Session, *, site_id: int, desk_id: int, name: str, queue_ids: list, capabilities: list,
                directions: object = None, printer: object = None, now: datetime) -> Desk:
    """Rename a desk, change the queues it serves, its equipment or how to find it (live everywhere)."""
    desk = _desk(session, site_id, desk_id)
    desk.name = _desk_name(session, site_id, name, desk.id)
    desk.capabilities = _capabilities(capabilities)
    desk.directions = _directions(directions)
    desk.printer = read_printer(printer)
    ids = _served(session, site_id, queue_ids)
    session.add(desk)
    _set_queues(session, desk.id, ids)
    site_changed(session, site_id, now)
    return desk


def desk_queues(session: Session, site_id: int) -> dict[int, list[int]]:
    """The queues each desk of the site serves."""
    rows = session.exec(select(DeskQueue.desk_id, DeskQueue.queue_id).join(Desk, Desk.id == DeskQueue.desk_id)
                        .where(Desk.site_id == site_id)).all()
    served: dict[int, list[int]] = {}
    for desk_id, queue_id in rows:
        served.setdefault(desk_id, []).append(queue_id)
    return served


def set_desk_active(session: Session, *, site_id: int, desk_id: int, active: bool, now: datetime) -> Desk:
    """Close or reopen a desk; one an agent works at, or with a visitor in hand, stays open."""
    desk = _desk(session, site_id, desk_id)
    if not active and desk.active:
        if desk.agent_id is not None:
            login = session.get(Agent, desk.agent_id).login
            raise InvalidInput(N_("%(agent)s travaille à ce bureau. Il doit d'abord le quitter."), field="active",
                               agent=login)
        in_hand = session.exec(select(func.count()).select_from(Ticket).where(
            Ticket.desk_id == desk.id, col(Ticket.status).in_((CALLED, SERVING)))).one()
        if in_hand:
            raise InvalidInput(N_("Un visiteur est appelé ou reçu à ce bureau. Terminez d'abord son ticket."),
                               field="active")
    desk.active = bool(active)
    session.add(desk)
    site_changed(session, site_id, now)
    return desk


# --- agents ----------------------------------------------------------------------------------


def _agent(session: Session, site_id: int, agent_id: object) -> Agent:
    agent = session.get(Agent, agent_id) if is_row_id(agent_id) else None
    if agent is None or agent.site_id != site_id:
        raise NotFound(N_("Ce compte n'existe pas."))
    return agent


def _role(role: str) -> str:
    if role not in ROLE_LABELS:
        raise InvalidInput(N_("Choisissez agent ou superviseur."), field="role")
    return role


def site_login(login: object, slug: str) -> str:
    """The login a site's supervisor gives: it ends with the site's slug (« marie.dupont.chaumont »).

    Logins are one namespace (sign-in asks no site): a supervisor who could pick any login
    would learn, from « déjà pris », the logins of other sites. Within their site's suffix,
    the only logins they can meet are their own site's. The suffix is added when missing.
    """
    login = normalize_login(login)
    suffix = f".{slug}"
    return login if not login or login.endswith(suffix) else login + suffix


def create_agent(session: Session, *, site_id: int, login: str, password: str, role: str, now: datetime) -> Agent:
    """Open an account on the site with its first password (the person changes it with a supervisor)."""
    site = _site(session, site_id)
    role = _role(role)
    agent = add_agent(session, login=site_login(login, site.slug), site_id=site_id, password=password,
                      supervisor=role == SUPERVISOR)
    site_changed(session, site_id, now)
    return agent


def set_agent_active(session: Session, *, site_id: int, agent_id: int, active: bool, by_agent_id: int,
                     now: datetime) -> Agent:
    """Disable an account (it can no longer sign in; its open sessions end) or enable it again."""
    agent = _agent(session, site_id, agent_id)
    if not active and agent.id == by_agent_id:
        raise InvalidInput(N_("Vous ne pouvez pas désactiver votre propre compte."), field="active")
    if not active:
        release_all(session, agent_id=agent.id, now=now)
        agent_sessions.end_all(session, agent_id=agent.id, now=now)  # enabling it again revives none
        record(session, AccessEnded("agent", agent.id))  # its open consoles close, on every process
    agent.active = bool(active)
    session.add(agent)
    site_changed(session, site_id, now)
    return agent


def reset_password(session: Session, *, site_id: int, agent_id: int, password: str, now: datetime) -> Agent:
    """Give an account a new password (say it to the person; it is stored only as a hash)."""
    agent = _agent(session, site_id, agent_id)
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(N_("Le mot de passe doit avoir au moins %(min)s caractères."), field="password",
                           min=MIN_PASSWORD)
    agent.password_hash = hash_password(password)
    session.add(agent)
    agent_sessions.end_all(session, agent_id=agent.id, now=now)  # sessions opened with the old password end
    record(session, AccessEnded("agent", agent.id))  # and their open consoles close, on every process
    return agent


# --- the page's picture ----------------------------------------------------------------------


MESSAGE_MAX = 160
LINK_MAX = 300
MAX_MESSAGES = 10


def _message(session: Session, site_id: int, message_id: object) -> DisplayMessage:
    message = session.get(DisplayMessage, message_id) if is_row_id(message_id) else None
    if message is None or message.site_id != site_id:
        raise NotFound(N_("Ce message n'existe pas."))
    return message


def _message_fields(text: object, link: object) -> dict:
    words = read_text(text, field="text", limit=MESSAGE_MAX)
    if not words:
        raise InvalidInput(N_("Écrivez le message, en mots simples."), field="text")
    return {"text": words, "link": read_link(link, field="link", limit=LINK_MAX) or None}


def create_display_message(session: Session, *, site_id: int, text: object, link: object = None,
                           now: datetime) -> DisplayMessage:
    """Add a message the waiting-room screens show in turn while nobody is called (and its link as a QR code)."""
    _site(session, site_id)
    fields = _message_fields(text, link)
    count = session.exec(select(func.count()).select_from(DisplayMessage)
                         .where(DisplayMessage.site_id == site_id)).one()
    if count >= MAX_MESSAGES:
        raise InvalidInput(N_("%(max)s messages au plus : enlevez-en un d'abord."), field="text", max=MAX_MESSAGES)
    message = DisplayMessage(site_id=site_id, **fields)
    session.add(message)
    session.flush()
    site_changed(session, site_id, now)
    return message


def update_display_message(session: Session, *, site_id: int, message_id: int, text: object, link: object = None,
                           now: datetime) -> DisplayMessage:
    """Change a screen message's words or link (the screens show the new one at once)."""
    message = _message(session, site_id, message_id)
    for name, value in _message_fields(text, link).items():
        setattr(message, name, value)
    session.add(message)
    site_changed(session, site_id, now)
    return message


def delete_display_message(session: Session, *, site_id: int, message_id: int, now: datetime) -> None:
    """Take a message off the site's screens."""
    session.delete(_message(session, site_id, message_id))
    site_changed(session, site_id, now)


def display_messages(session: Session, site_id: int) -> list[DisplayMessage]:
    """The site's screen messages, in the order they were written (the order the screens show them)."""
    return list(session.exec(select(DisplayMessage).where(DisplayMessage.site_id == site_id)
                             .order_by(DisplayMessage.id)).all())


@dataclass(frozen=True)
class Picture:
    site: Site
    hours: dict[int, list[tuple[int, int]]]
    queues: list[Queue]
    desks: list[Desk]
    served: dict[int, list[int]]
    agents: list[Agent]
    waiting: dict[int, int]
    messages: list[DisplayMessage]


def picture(session: Session, site_id: int) -> Picture:
    """Everything the configuration page shows of a site."""
    site = _site(session, site_id)
    waiting = dict(session.exec(select(Ticket.queue_id, func.count()).where(
        Ticket.site_id == site_id, Ticket.status == WAITING).group_by(Ticket.queue_id)).all())
    return Picture(
        site=site,
        hours=opening_hours(session, site_id),
        queues=list(session.exec(select(Queue).where(Queue.site_id == site_id).order_by(Queue.letter)).all()),
        desks=list(session.exec(select(Desk).where(Desk.site_id == site_id).order_by(Desk.name)).all()),
        served=desk_queues(session, site_id),
        agents=list(session.exec(select(Agent).where(Agent.site_id == site_id).order_by(Agent.login)).all()),
        waiting={k: int(v) for k, v in waiting.items()},
        messages=display_messages(session, site_id),
    )
