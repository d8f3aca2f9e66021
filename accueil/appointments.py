"""Today's appointments, matched to arrivals by the NIR's keyed hash."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from accueil.models import AT_DESK, LSF_VIDEO, PHONE_CALLBACK, Appointment

IN_PERSON = (AT_DESK, LSF_VIDEO)


def find_for_arrival(session: Session, site_id: int, day: date, nir_hash: str, now: datetime) -> Appointment | None:
    """Return the in-person appointment of that person at that site that day nearest to *now*."""
    rows = session.exec(
        select(Appointment).where(
            Appointment.site_id == site_id,
            Appointment.service_day == day,
            Appointment.nir_hash == nir_hash,
            col(Appointment.kind).in_(IN_PERSON),
        )
    ).all()
    return min(rows, key=lambda a: abs((a.at - now).total_seconds()), default=None)


EARLY = "early"
LATE = "late"


def window_flag(site, appointment_at: datetime, now: datetime) -> str | None:
    """Return « early » or « late » when the arrival is outside the site's check-in window."""
    minutes = (now - appointment_at).total_seconds() / 60
    if minutes < -site.checkin_early_minutes:
        return EARLY
    if minutes > site.checkin_late_minutes:
        return LATE
    return None


def reservation_end(site, appointment: Appointment, now: datetime) -> datetime | None:
    """Until when an appointment assigned to an agent or desk waits for them alone (None: not assigned)."""
    if appointment.agent_id is None and appointment.desk_id is None:
        return None
    return max(appointment.at, now) + timedelta(minutes=site.assigned_wait_minutes)


def callback_only(session: Session, site_id: int, day: date, nir_hash: str) -> Appointment | None:
    """Return the person's phone call-back of the day when they have no in-person appointment that day."""
    rows = session.exec(
        select(Appointment).where(
            Appointment.site_id == site_id, Appointment.service_day == day, Appointment.nir_hash == nir_hash
        ).order_by(Appointment.at)
    ).all()
    if any(a.kind in IN_PERSON for a in rows):
        return None
    return next((a for a in rows if a.kind == PHONE_CALLBACK), None)
