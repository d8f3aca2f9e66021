"""Web Push subscriptions of visitors' browsers: read once where they enter, kept encrypted, one per ticket.

A subscription names a URL the server will POST to: it must be ``https`` on a public host, so
that nobody can make the server call an address of its own network (``public_host``; the
sender checks the address again when it sends, after resolving the name).
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, update
from sqlmodel import Session, select

from accueil import notices
from accueil.clock import as_utc
from accueil.errors import InvalidInput
from accueil.i18n import N_
from accueil.identity import Vault
from accueil.lifecycle import ACTIVE
from accueil.models import PushSubscription, Ticket

MAX_BYTES = 4096
MAX_ENDPOINT = 2048


def _refuse() -> InvalidInput:
    return InvalidInput(N_("Ce téléphone n'a pas pu s'abonner aux notifications. Réessayez."), field="push")


def _b64(value: object, size: int, first: int | None = None) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise _refuse()
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise _refuse() from None
    if len(raw) != size or (first is not None and raw[0] != first):
        raise _refuse()
    return value


def public_address(address: str) -> bool:
    """True for an IP address that is on the public internet (not loopback, private, link-local…)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_global and not ip.is_multicast


def public_host(host: str, allowed: frozenset[str] = frozenset()) -> bool:
    """True for a host name, or a public IP literal, that a push may go to (*allowed*: exceptions, for tests)."""
    host = host.lower().rstrip(".")
    if host in allowed:
        return True
    if not host or host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan", ".home")):
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return "." in host  # a name: resolved and checked again when sending
    return public_address(host.strip("[]"))


def read_subscription(raw: bytes | str, allowed_hosts: frozenset[str] = frozenset()) -> dict:
    """The browser's PushSubscription JSON, checked: an https endpoint on a public host, P-256 key, 16-byte secret."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if not raw or len(raw) > MAX_BYTES:
        raise _refuse()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _refuse() from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise _refuse()
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or len(endpoint) > MAX_ENDPOINT or any(ord(c) < 33 for c in endpoint):
        raise _refuse()
    parts = urlsplit(endpoint)
    try:
        port = parts.port
    except ValueError:
        raise _refuse() from None
    if parts.scheme != "https" or parts.username or parts.password or not parts.hostname or port == 0:
        raise _refuse()
    if not public_host(parts.hostname, allowed_hosts):
        raise _refuse()
    return {"endpoint": endpoint,
            "keys": {"p256dh": _b64(data["keys"].get("p256dh"), 65, 0x04), "auth": _b64(data["keys"].get("auth"), 16)}}


def subscribe(session: Session, vault: Vault, *, ticket: Ticket, subscription: dict, now: datetime) -> bool:
    """Keep *subscription* (from ``read_subscription``) for an active ticket, replacing any earlier one.

    Return False for a ticket that is over (nothing is stored: there is nothing left to tell).
    """
    if ticket.status not in ACTIVE:
        return False
    session.execute(delete(PushSubscription).where(PushSubscription.ticket_id == ticket.id))
    session.add(PushSubscription(ticket_id=ticket.id, data_enc=vault.encrypt(json.dumps(subscription)),
                                 created_at=as_utc(now)))
    session.execute(update(Ticket).where(Ticket.id == ticket.id).values(reach=Ticket.reach.op("|")(notices.PUSH)))
    return True


def of_ticket(session: Session, vault: Vault, ticket_id: int) -> dict | None:
    """The ticket's subscription, decrypted (None if it has none, or it was erased)."""
    found = session.exec(select(PushSubscription).where(PushSubscription.ticket_id == ticket_id)).first()
    return None if found is None else json.loads(vault.decrypt(found.data_enc))
