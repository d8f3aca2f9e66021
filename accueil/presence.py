"""Proof of presence: the short-lived, signed code the kiosk shows as a QR code.

The kiosk at the entrance shows a link carrying a code for its site. The code changes
every ``ROTATION`` and is accepted for ``VALIDITY`` after it first appears, so a photo
of yesterday's (or this morning's) QR code does not let anyone check in from home.
Opening a valid code opens a presence window of ``PRESENCE_WINDOW`` for that site on
that phone, so that a reload or the back button still works.

A code is ``<slot>.<signature>``: the number of the rotation slot (Unix time divided by
the rotation) and a truncated HMAC-SHA256 of the site and the slot under a key derived
from the application's secret. Codes are short, so the QR code stays easy to scan.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import math
import unicodedata
from datetime import datetime, timedelta

from accueil.clock import as_utc
from accueil.errors import DomainError
from accueil.i18n import N_

ROTATION = timedelta(seconds=30)
"""The kiosk shows a new code this often."""
VALIDITY = timedelta(minutes=3)
"""A code is accepted this long after it first appeared on the kiosk."""
CLOCK_SKEW = timedelta(seconds=30)
"""A code from slightly in the future is accepted (several processes, clocks a little apart)."""
PRESENCE_WINDOW = timedelta(minutes=15)
"""After a valid scan, the phone may check in at that site during this time."""

SHORT_DIGITS = 4
"""The code typed by hand, shown under the QR code for phones that cannot scan."""
SHORT_VALIDITY = timedelta(seconds=60)
"""A typed code is accepted this long after it first appeared: time to type four digits, and few codes
valid at once (a guess from outside has about 4 chances in 10,000 with two sites; the page is rate-limited)."""

_SIGNATURE_BYTES = 12
_CONTEXT = b"accueil presence code v1"


class ExpiredCode(DomainError):
    """The code is old, forged, damaged or belongs to another site: the visitor scans again."""

    code = "expired_code"
    message_id = N_("Ce code est trop ancien. Scannez le code affiché sur l'écran de l'accueil.")


class NotPresent(DomainError):
    """The phone has not scanned a kiosk's code recently."""

    code = "not_present"
    message_id = N_("Pour prendre un ticket, scannez le code affiché sur l'écran de l'accueil.")


def _slot(now: datetime) -> int:
    return int(as_utc(now).timestamp() // ROTATION.total_seconds())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class PresenceCodes:
    """Issue and check the kiosk codes of every site with one secret."""

    def __init__(self, secret: str | bytes) -> None:
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        if len(secret) < 16:
            raise ValueError("the presence secret must have at least 16 bytes")
        self._key = hmac.new(secret, _CONTEXT, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return "PresenceCodes(<key hidden>)"

    def _sign(self, site_id: int, slot: int) -> str:
        mac = hmac.new(self._key, f"{site_id}:{slot}".encode("ascii"), hashlib.sha256).digest()
        return _b64(mac[:_SIGNATURE_BYTES])

    def issue(self, site_id: int, *, now: datetime) -> str:
        """Return the code the site's kiosk shows at *now* (the same for the whole slot)."""
        slot = _slot(now)
        return f"{slot}.{self._sign(site_id, slot)}"

    def _short(self, site_id: int, slot: int) -> str:
        mac = hmac.new(self._key, f"short:{site_id}:{slot}".encode("ascii"), hashlib.sha256).digest()
        return f"{int.from_bytes(mac[:8], 'big') % 10 ** SHORT_DIGITS:0{SHORT_DIGITS}d}"

    def issue_short(self, site_id: int, *, now: datetime) -> str:
        """Return the four digits the site's kiosk shows under its QR code at *now* (they rotate with it)."""
        return self._short(site_id, _slot(now))

    def verify_short(self, code: str | None, site_ids: list[int], *, now: datetime) -> int:
        """Return the site whose kiosk showed *code* (from ``read_short_code``) within SHORT_VALIDITY.

        ExpiredCode when no site did, or when two sites happen to show the same digits (the
        visitor types the next code, 30 seconds later).
        """
        if code is None:
            raise ExpiredCode()
        step = ROTATION.total_seconds()
        # The slots whose code first appeared at most SHORT_VALIDITY ago (or a clock skew ahead).
        first = math.ceil((as_utc(now) - SHORT_VALIDITY).timestamp() / step)
        slots = range(first, _slot(as_utc(now) + CLOCK_SKEW) + 1)
        found = {site_id for site_id in site_ids for slot in slots
                 if hmac.compare_digest(self._short(site_id, slot), code)}
        if len(found) != 1:
            raise ExpiredCode()
        return found.pop()

    def verify(self, code: str | None, site_id: int, *, now: datetime) -> datetime:
        """Check that *code* was shown by the site's kiosk recently; return when it appeared.

        Any problem (old, forged, damaged, another site's) raises the same ExpiredCode:
        the visitor's remedy is the same, and a forger learns nothing.
        """
        slot_text, _, signature = (code or "").partition(".")
        if not (slot_text.isascii() and slot_text.isdigit()) or len(slot_text) > 12 or not signature:
            raise ExpiredCode()
        slot = int(slot_text)
        if not hmac.compare_digest(self._sign(site_id, slot).encode(), signature.encode("utf-8", "replace")):
            raise ExpiredCode()
        shown_at = datetime.fromtimestamp(slot * ROTATION.total_seconds(), tz=as_utc(now).tzinfo)
        age = as_utc(now) - shown_at
        if age > VALIDITY or age < -CLOCK_SKEW:
            raise ExpiredCode()
        return shown_at


def read_short_code(raw: object) -> str | None:
    """The typed code as four ASCII digits (spaces dropped, any script's digits read), or None if it is not one."""
    if not isinstance(raw, str) or len(raw) > 16:
        return None
    digits = [c for c in raw if not c.isspace()]
    if len(digits) != SHORT_DIGITS or not all(c.isdecimal() for c in digits):
        return None
    return "".join(str(unicodedata.decimal(c)) for c in digits)


def next_rotation(now: datetime) -> datetime:
    """Return when the kiosk's code changes next."""
    start = datetime.fromtimestamp(_slot(now) * ROTATION.total_seconds(), tz=as_utc(now).tzinfo)
    return start + ROTATION


def presence_until(now: datetime) -> datetime:
    """Return the end of the presence window opened by a valid scan at *now*."""
    return as_utc(now) + PRESENCE_WINDOW


def check_presence(until: float | None, *, now: datetime) -> None:
    """Raise NotPresent unless a presence window ending at *until* (Unix time) is still open."""
    if not isinstance(until, (int, float)) or isinstance(until, bool) or until < as_utc(now).timestamp():
        raise NotPresent()
