"""Enrolment of kiosks and waiting-room screens: a one-time link, then a device secret.

Only an enrolled device of a site shows that site's QR code (or its display), so that
checking in proves presence. Tokens are random and long; only their SHA-256 is stored.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from accueil.clock import as_utc
from accueil.errors import InvalidInput, NotFound
from accueil.events import AccessEnded, record
from accueil.i18n import N_
from accueil.ids import is_row_id, row_id
from accueil.models import DISPLAY, KIOSK, Device
from accueil.text import read_text

KINDS = (KIOSK, DISPLAY)
ENROL_VALIDITY = timedelta(hours=24)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


LABEL_MAX = 80


def create_enrolment(session: Session, *, site_id: int, kind: str, label: str, now: datetime) -> tuple[Device, str]:
    """Register a device to enrol; return it and the one-time token of its enrolment link.

    Its *label* is required: the supervisor's alerts and lists name devices by it (« La borne
    « Entrée » ne répond plus »), and a number says nothing of where the device stands.
    """
    if kind not in KINDS:
        raise InvalidInput(N_("Type d'appareil inconnu : borne (kiosk) ou écran (display)."), field="kind")
    label = read_text(label, field="label", limit=LABEL_MAX)
    if not label:
        raise InvalidInput(N_("Donnez un nom à l'appareil, pour le retrouver (par exemple « Borne de l'entrée »)."),
                           field="label")
    token = secrets.token_urlsafe(32)
    device = Device(site_id=site_id, kind=kind, label=label, enrol_hash=_digest(token),
                    enrol_expires_at=as_utc(now) + ENROL_VALIDITY)
    session.add(device)
    session.flush()
    return device, token


def pending_enrolment(session: Session, token: str, *, now: datetime) -> Device:
    """Return the device a still-valid enrolment token belongs to, or NotFound."""
    device = session.exec(select(Device).where(Device.enrol_hash == _digest(token or ""))).first()
    if device is None or device.revoked_at is not None or device.enrol_expires_at < as_utc(now):
        raise NotFound(N_("Ce lien d'installation n'est plus valable. Demandez-en un nouveau."))
    return device


def enrol(session: Session, token: str, *, now: datetime) -> tuple[Device, str]:
    """Use the one-time token: return the device and the credential the device keeps."""
    device = pending_enrolment(session, token, now=now)
    secret = secrets.token_urlsafe(32)
    device.enrol_hash = None
    device.enrol_expires_at = None
    device.secret_hash = _digest(secret)
    device.enrolled_at = as_utc(now)
    session.add(device)
    session.flush()
    return device, f"{device.id}.{secret}"


def authenticate(session: Session, credential: str | None) -> Device | None:
    """Return the enrolled, unrevoked device holding *credential*, else None."""
    raw_id, _, secret = (credential if isinstance(credential, str) else "").partition(".")
    device_id = row_id(raw_id)
    if device_id is None or not secret:
        return None
    device = session.get(Device, device_id)
    if device is None or device.revoked_at is not None or device.secret_hash is None:
        return None
    return device if hmac.compare_digest(device.secret_hash, _digest(secret)) else None


def revoke(session: Session, device_id: int, *, now: datetime) -> Device:
    """Revoke a device: its screen stops working at once."""
    device = session.get(Device, device_id) if is_row_id(device_id) else None
    if device is None:
        raise NotFound(N_("Cet appareil n'existe pas."))
    device.revoked_at = device.revoked_at or as_utc(now)
    session.add(device)
    session.flush()
    record(session, AccessEnded("device", device.id))  # its screen's sockets close, on every process
    return device
