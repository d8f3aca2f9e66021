"""The supervisor's live picture of a site: waits now, desks, the day's CNAF share, alerts.

Rules written once here: a visitor is « late » when the current wait passes the CNAF target
(20 minutes); an enrolled kiosk or display is « offline » when silent for more than a minute.
Devices stamp Device.last_seen_at at most every HEARTBEAT_EVERY (see heartbeat()).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from accueil import desks as desk_rules
from accueil import notices, stats
from accueil.clock import as_utc, service_day
from accueil.errors import NotFound
from accueil.i18n import N_
from accueil.lifecycle import WAITING
from accueil.models import Device, Queue, Site, Ticket

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


def offline_devices(session: Session, *, site_id: int, now: datetime) -> list[OfflineDevice]:
    """Enrolled, not revoked devices not seen for more than OFFLINE_AFTER (never seen counts)."""
    now = as_utc(now)
    devices = session.exec(select(Device).where(
        Device.site_id == site_id, col(Device.enrolled_at).is_not(None), col(Device.revoked_at).is_(None),
        col(Device.kind).in_(BEATING_KINDS),
    ).order_by(Device.id)).all()
    return [OfflineDevice(d.id, d.kind, d.label, d.last_seen_at) for d in devices
            if d.last_seen_at is None or now - as_utc(d.last_seen_at) > OFFLINE_AFTER]


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
    waiting = session.exec(select(Ticket).where(
        Ticket.site_id == site_id, Ticket.service_day == day, Ticket.status == WAITING
    ).order_by(Ticket.arrived_at)).all()
    for t in waiting:
        minutes = max(0, int((now - as_utc(t.arrived_at)).total_seconds() // 60))
        q = by_id.get(t.queue_id)
        if q is not None:
            q.waiting += 1
            q.longest_minutes = max(q.longest_minutes or 0, minutes)
        if now - as_utc(t.arrived_at) > LATE_AFTER:
            late.append(LateTicket(t.code, t.letter, minutes))
    longest = max((q.longest_minutes for q in by_id.values() if q.longest_minutes is not None), default=None)
    return Picture(
        site_name=site.name, version=site.version, now=now, queues=list(by_id.values()), longest_minutes=longest,
        desks=desk_rules.states(session, site_id=site_id),
        today=stats.compute(session, site_id=site_id, start=day, end=day),
        late=late, offline=offline_devices(session, site_id=site_id, now=now),
        messages=notices.health(session, site_id, day, now=now),
    )
