"""Today's appointments, matched to arrivals by the NIR's keyed hash."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from accueil import lifecycle
from accueil.i18n import N_
from accueil.models import AT_DESK, LSF_VIDEO, PHONE_CALLBACK, Appointment, Site, Ticket
from accueil.statements import Prepared

IN_PERSON = (AT_DESK, LSF_VIDEO)


_OF_THE_DAY = Prepared(sa_select(*Appointment.__table__.columns).where(
    Appointment.site_id == bindparam("site"), Appointment.service_day == bindparam("day"),
    Appointment.nir_hash == bindparam("nir_hash"),
).order_by(Appointment.at, Appointment.id))


def of_the_day(session: Session, site_id: int, day: date, nir_hash: str) -> list[Appointment]:
    """Return the person's appointments at that site that day, in time order (one query for check-in).

    Most visitors have none: one short statement, and objects are built only for the rows found.
    """
    rows = _OF_THE_DAY.run(session.connection(), {"site": site_id, "day": day, "nir_hash": nir_hash})
    return [Appointment.model_construct(**row._asdict()) for row in rows]


def arrival_match(appointments: list[Appointment], now: datetime) -> Appointment | None:
    """Return the in-person appointment nearest to *now* among the person's *appointments* of the day."""
    in_person = [a for a in appointments if a.kind in IN_PERSON]
    return min(in_person, key=lambda a: abs((a.at - now).total_seconds()), default=None)


def only_callback(appointments: list[Appointment]) -> Appointment | None:
    """Return the phone call-back of the day when the person has no in-person appointment that day."""
    if any(a.kind in IN_PERSON for a in appointments):
        return None
    return next((a for a in appointments if a.kind == PHONE_CALLBACK), None)


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
    return only_callback(of_the_day(session, site_id, day, nir_hash))


# The state of an appointment of the day, derived from the ticket linked to it (Ticket.appointment_id).
EXPECTED = "expected"
ARRIVED = "arrived"
CALLED = "called"
SERVED = "served"
ABSENT = "absent"
STATE_LABELS = {
    EXPECTED: N_("attendu"),
    ARRIVED: N_("arrivé"),
    CALLED: N_("appelé"),
    SERVED: N_("reçu"),
    ABSENT: N_("absent"),
}
KIND_LABELS = {
    AT_DESK: N_("guichet"),
    LSF_VIDEO: N_("langue des signes (LSF)"),
    PHONE_CALLBACK: N_("téléphone"),
}


def appointment_state(site, appointment: Appointment, ticket, now: datetime) -> str:
    """Return the state of *appointment* from its latest linked *ticket* (None: nobody checked in).

    No ticket: « expected » until the end of the check-in window, then « absent » (a phone
    call-back stays « expected »: nobody comes). A waiting ticket: « arrived »; called:
    « called »; being received or finished: « served »; marked absent or cancelled: « absent ».
    """
    if ticket is None:
        if appointment.kind in IN_PERSON and window_flag(site, appointment.at, now) == LATE:
            return ABSENT
        return EXPECTED
    return {lifecycle.WAITING: ARRIVED, lifecycle.CALLED: CALLED, lifecycle.SERVING: SERVED,
            lifecycle.DONE: SERVED}.get(ticket.status, ABSENT)


def day_appointments(session: Session, site_id: int, day: date, now: datetime) -> list[tuple[Appointment, str]]:
    """Return the appointments of *site_id* on *day* in time order, each with its state."""
    site = session.get(Site, site_id)
    rows = session.exec(
        select(Appointment).where(Appointment.site_id == site_id, Appointment.service_day == day)
        .order_by(Appointment.at, Appointment.id)
    ).all()
    latest: dict[int, Ticket] = {}
    if rows:
        for ticket in session.exec(
            select(Ticket).where(col(Ticket.appointment_id).in_([a.id for a in rows])).order_by(Ticket.id)
        ).all():
            latest[ticket.appointment_id] = ticket
    return [(a, appointment_state(site, a, latest.get(a.id), now)) for a in rows]
