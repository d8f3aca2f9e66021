"""Today's appointments, matched to arrivals by the NIR's keyed hash."""
from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from accueil.models import AT_DESK, LSF_VIDEO, Appointment

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
