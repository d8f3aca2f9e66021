"""Time rules: UTC instants everywhere, the service day in the site's local time."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from accueil.errors import InvalidInput
from accueil.i18n import N_

DEFAULT_TIMEZONE = "Europe/Paris"


def utcnow() -> datetime:
    """Return the current instant, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """Return *moment* in UTC; refuse naive datetimes, whose zone is a guess."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput(N_("L'heure doit porter son fuseau horaire."), field="now")
    return moment.astimezone(timezone.utc)


def service_day(moment: datetime, tz: str = DEFAULT_TIMEZONE) -> date:
    """Return the local calendar date of *moment* at a site in zone *tz*."""
    return as_utc(moment).astimezone(ZoneInfo(tz)).date()


def end_of_service_day(day: date, tz: str = DEFAULT_TIMEZONE) -> datetime:
    """Return the UTC instant of the local midnight that ends *day*."""
    local_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(tz))
    return local_midnight.astimezone(timezone.utc)


def local_hour(moment: datetime, tz: str = DEFAULT_TIMEZONE) -> int:
    """Return the hour (0-23) of *moment* on the site's clock."""
    return as_utc(moment).astimezone(ZoneInfo(tz)).hour


def read_day(value: object, *, field: str = "date") -> date | None:
    """Return the day written as AAAA-MM-JJ (a date field's value) or JJ/MM/AAAA, None when empty; raise
    InvalidInput naming *field* for anything else (another script's digits, a day that does not exist)."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    if text.isascii():
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise InvalidInput(N_("Date illisible : écrivez AAAA-MM-JJ ou JJ/MM/AAAA."), field=field)
