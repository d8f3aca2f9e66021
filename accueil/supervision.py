"""The supervisor's live picture of a site: waits now, desks, the day's CNAF share, alerts.

Rules written once here: a visitor is « late » when the current wait passes the CNAF target
(20 minutes); an enrolled kiosk or display is « offline » when silent for more than a minute;
the day's wait is drawn per half hour of arrival (``wait_through_day``); what each alert asks
the supervisor to do (``Alert``). Devices stamp Device.last_seen_at at most every HEARTBEAT_EVERY
(see heartbeat()).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from accueil import desks as desk_rules
from accueil import notices, stats
from accueil.clock import as_utc, service_day
from accueil.errors import NotFound
from accueil.i18n import N_
from accueil.lifecycle import WAITING
from accueil.models import Device, Queue, Site, Ticket, ticket_code

LATE_AFTER = timedelta(minutes=stats.CNAF_TARGET_MINUTES)
BEATING_KINDS = ("kiosk", "display")
"""Kinds that report a heartbeat: the kiosk reloads its QR every 30 s, the display asks a snapshot every 15 s."""
OFFLINE_AFTER = timedelta(seconds=60)
HEARTBEAT_EVERY = timedelta(seconds=20)


@dataclass
class QueueNow:
    letter: str
    name: str
    waiting: int = 0
    longest_minutes: int | None = None


@dataclass
class LateTicket:
    code: str
    queue_letter: str
    minutes: int


@dataclass
class OfflineDevice:
    id: int
    kind: str
    label: str
    last_seen_at: datetime | None


@dataclass(frozen=True)
class Slot:
    """A half hour of the day, by the visitors' local time of arrival."""

    start: str  # "09:30", the site's clock
    arrivals: int
    mean_wait: int | None
    """Minutes from arrival to the first call, averaged (a visitor still waiting counts their wait so far)."""


SLOT_MINUTES = 30
ALERTS_SHOWN = 5
"""Late tickets named in their alert, the longest waits first; the others are counted."""


@dataclass(frozen=True)
class Alert:
    """Something the supervisor should act on: what is wrong (``what``, with its ``params``) and what to do.

    ``kind``: late (a visitor waits past the target), unstaffed (people wait, no desk open),
    offline (a kiosk or display is silent), messages (SMS or notifications not delivered).
    """

    kind: str
    what: str
    todo: str
    params: dict = field(default_factory=dict)
    items: tuple[str, ...] = ()
    """What it is about, named (the tickets waiting longest, with their wait in minutes)."""
    more: int = 0
    """How many more it is about than ``items`` names."""


@dataclass
class Picture:
    site_name: str
    version: int
    now: datetime
    queues: list[QueueNow]
    longest_minutes: int | None
    desks: list[desk_rules.DeskState]
    today: stats.Figures
    late: list[LateTicket] = field(default_factory=list)
    offline: list[OfflineDevice] = field(default_factory=list)
    messages: notices.Health | None = None
    """The sender of the visitors' messages: what waits, what failed, the day's SMS (they cost money)."""
    slots: list[Slot] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        return sum(q.waiting for q in self.queues)

    @property
    def desks_open(self) -> int:
        """Desks an agent holds (free, calling, serving or paused)."""
        return sum(1 for d in self.desks if d.state != desk_rules.CLOSED)


def offline_devices(session: Session, *, site_id: int, now: datetime) -> list[OfflineDevice]:
    """Enrolled, not revoked devices not seen for more than OFFLINE_AFTER (never seen counts)."""
    now = as_utc(now)
    devices = session.exec(select(Device).where(
        Device.site_id == site_id, col(Device.enrolled_at).is_not(None), col(Device.revoked_at).is_(None),
        col(Device.kind).in_(BEATING_KINDS),
    ).order_by(Device.id)).all()
    return [OfflineDevice(d.id, d.kind, d.label, d.last_seen_at) for d in devices
            if device_health(d, now=now) in (OFFLINE, NEVER)]


ONLINE, OFFLINE, NEVER, NOT_ENROLLED, REVOKED = "online", "offline", "never", "pending", "revoked"


def device_health(device: Device, *, now: datetime) -> str:
    """Whether an enrolled kiosk or display gives signs of life (``offline_devices``' rule), else its stage.

    Kinds that beat no heart (none today) read « online » once enrolled.
    """
    if device.revoked_at is not None:
        return REVOKED
    if device.enrolled_at is None:
        return NOT_ENROLLED
    if device.kind not in BEATING_KINDS:
        return ONLINE
    if device.last_seen_at is None:
        return NEVER
    return OFFLINE if as_utc(now) - as_utc(device.last_seen_at) > OFFLINE_AFTER else ONLINE


def heartbeat(session: Session, device: Device, *, now: datetime) -> bool:
    """Stamp the device as seen; write at most once per HEARTBEAT_EVERY. True when it wrote."""
    if not beat_due(device, now):
        return False
    device.last_seen_at = as_utc(now)
    session.add(device)
    return True


def beat_due(device: Device, now: datetime) -> bool:
    """Whether *device* (as read) is due a new stamp: checked before opening a write."""
    return device.last_seen_at is None or as_utc(now) - as_utc(device.last_seen_at) >= HEARTBEAT_EVERY


def wait_through_day(tickets, *, now: datetime, tz: str) -> list[Slot]:
    """The day's wait per half hour of arrival, from the first arrival's half hour to now's.

    *tickets*: the day's tickets (arrived_at, wait_seconds, status). A visitor called counts their
    wait until the first call (``wait_seconds``); one still waiting, their wait so far; one who left
    before any call is not a wait that ended and counts as an arrival only.
    """
    zone = ZoneInfo(tz)
    now = as_utc(now)
    waits: dict[int, list[float]] = {}
    arrivals: dict[int, int] = {}
    for t in tickets:
        local = as_utc(t.arrived_at).astimezone(zone)
        slot = (local.hour * 60 + local.minute) // SLOT_MINUTES
        arrivals[slot] = arrivals.get(slot, 0) + 1
        if t.wait_seconds is not None:
            waits.setdefault(slot, []).append(t.wait_seconds / 60)
        elif t.status == WAITING:
            waits.setdefault(slot, []).append(max(0.0, (now - as_utc(t.arrived_at)).total_seconds() / 60))
    if not arrivals:
        return []
    local_now = now.astimezone(zone)
    last = max(max(arrivals), (local_now.hour * 60 + local_now.minute) // SLOT_MINUTES)
    return [Slot(f"{slot * SLOT_MINUTES // 60:02d}:{slot * SLOT_MINUTES % 60:02d}", arrivals.get(slot, 0),
                 round(sum(waits[slot]) / len(waits[slot])) if waits.get(slot) else None)
            for slot in range(min(arrivals), last + 1)]


def alerts_of(p: Picture) -> list[Alert]:
    """What the supervisor should act on now, the most pressing first, each with what to do."""
    found: list[Alert] = []
    if p.waiting and not any(d.state in (desk_rules.FREE, desk_rules.CALLING, desk_rules.SERVING_STATE)
                             for d in p.desks):
        found.append(Alert("unstaffed", N_("%(n)s personnes attendent et aucun bureau ne reçoit."),
                           N_("Ouvrez un bureau, ou reprenez un bureau en pause."), {"n": p.waiting}))
    if len(p.late) == 1:
        t = p.late[0]
        found.append(Alert("late", N_("Le ticket %(ticket)s attend depuis %(minutes)s minutes."),
                           N_("Appelez-le, ou ouvrez un bureau de plus pour sa file."),
                           {"ticket": t.code, "minutes": t.minutes}))
    elif p.late:
        longest = sorted(p.late, key=lambda t: -t.minutes)
        found.append(Alert("late", N_("%(n)s personnes attendent depuis plus de %(target)s minutes."),
                           N_("Appelez-les, ou ouvrez un bureau de plus pour leur file."),
                           {"n": len(p.late), "target": stats.CNAF_TARGET_MINUTES},
                           tuple(f"{t.code} ({t.minutes} min)" for t in longest[:ALERTS_SHOWN]),
                           len(p.late) - min(len(p.late), ALERTS_SHOWN)))
    for d in p.offline:
        what = N_("La borne « %(label)s » ne répond plus.") if d.kind == "kiosk" else \
            N_("L'écran « %(label)s » ne répond plus.")
        found.append(Alert("offline", what, N_("Vérifiez qu'il est allumé et relié au réseau, puis rechargez sa page."),
                           {"label": d.label or str(d.id), "last_seen_at": d.last_seen_at}))
    if p.messages is not None and p.messages.failed_last_hour:
        found.append(Alert("messages", N_("%(n)s messages aux visiteurs n'ont pas été remis dans la dernière heure."),
                           N_("Vérifiez le compte SMS et la connexion du serveur ; les visiteurs voient "
                              "toujours leur tour sur leur page."), {"n": p.messages.failed_last_hour}))
    return found


def picture(session: Session, *, site_id: int, now: datetime) -> Picture:
    now = as_utc(now)
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(N_("Ce site n'existe pas."))
    day = service_day(now, site.timezone)
    queues = session.exec(select(Queue).where(Queue.site_id == site_id, Queue.active == True)  # noqa: E712
                          .order_by(Queue.letter)).all()
    by_id = {q.id: QueueNow(q.letter, q.name) for q in queues}
    late: list[LateTicket] = []
    day_tickets = session.exec(select(Ticket.arrived_at, Ticket.wait_seconds, Ticket.status, Ticket.queue_id,
                                      Ticket.letter, Ticket.number)
                               .where(Ticket.site_id == site_id, Ticket.service_day == day)
                               .order_by(Ticket.arrived_at)).all()
    for t in day_tickets:
        if t.status != WAITING:
            continue
        minutes = max(0, int((now - as_utc(t.arrived_at)).total_seconds() // 60))
        q = by_id.get(t.queue_id)
        if q is not None:
            q.waiting += 1
            q.longest_minutes = max(q.longest_minutes or 0, minutes)
        if now - as_utc(t.arrived_at) > LATE_AFTER:
            late.append(LateTicket(ticket_code(t.letter, t.number), t.letter, minutes))
    longest = max((q.longest_minutes for q in by_id.values() if q.longest_minutes is not None), default=None)
    p = Picture(
        site_name=site.name, version=site.version, now=now, queues=list(by_id.values()), longest_minutes=longest,
        desks=desk_rules.states(session, site_id=site_id),
        today=stats.compute(session, site_id=site_id, start=day, end=day),
        late=late, offline=offline_devices(session, site_id=site_id, now=now),
        messages=notices.health(session, site_id, day, now=now),
        slots=wait_through_day(day_tickets, now=now, tz=site.timezone),
    )
    p.alerts = alerts_of(p)
    return p
