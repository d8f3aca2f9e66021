"""Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) through pywebpush.

The VAPID key is this deployment's identity towards the browsers' push services: every
subscription is bound to its public half, so it is the same on every machine
(``ACCUEIL_VAPID_KEY``, or ``instance/vapid.key`` made on first run like the other keys).
"""
from __future__ import annotations

import base64
import json
import socket
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from accueil.identity import read_or_create_secret
from accueil.push_subscriptions import public_address
from notify.sms import NotNow, Refused

_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # of P-256


def vapid_key(instance_path: str, environ) -> Vapid:
    """The deployment's VAPID key: a P-256 private key derived from a 32-byte secret."""
    secret = environ.get("ACCUEIL_VAPID_KEY") or read_or_create_secret(f"{instance_path}/vapid.key")
    raw = base64.urlsafe_b64decode(secret.strip() + "=" * (-len(secret.strip()) % 4))
    if len(raw) < 32:
        raise RuntimeError("ACCUEIL_VAPID_KEY must be the urlsafe base64 of 32 random bytes")
    scalar = int.from_bytes(raw[:32], "big") % (_ORDER - 1) + 1
    return Vapid(private_key=ec.derive_private_key(scalar, ec.SECP256R1()))


def application_server_key(vapid: Vapid) -> str:
    """The public key a page gives ``pushManager.subscribe`` (urlsafe base64 of the uncompressed point)."""
    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).decode("ascii").rstrip("=")


class _Session(requests.Session):
    """A requests session whose CA bundle, when given, wins over REQUESTS_CA_BUNDLE (requests prefers the
    environment's to the session's); proxies from the environment still apply."""

    def __init__(self, verify: bool | str) -> None:
        super().__init__()
        self.pinned = verify if isinstance(verify, str) else None

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if self.pinned:
            settings["verify"] = self.pinned
        return settings


class WebPush:
    """Send one notification to one subscription; the outcome as the sender understands it."""

    def __init__(self, vapid: Vapid, contact: str, *, allowed_hosts: frozenset[str] = frozenset(),
                 verify: bool | str = True, timeout: float = 10.0) -> None:
        self.vapid, self.contact = vapid, contact
        self.allowed_hosts, self.verify, self.timeout = allowed_hosts, verify, timeout
        self._session = _Session(verify)

    def _check_address(self, endpoint: str) -> None:
        """Refuse an endpoint whose name leads into a private network (checked again at each send)."""
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        if host in self.allowed_hosts:
            return
        try:
            found = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError:
            raise NotNow("push service name not resolved") from None
        if not found or not all(public_address(info[4][0]) for info in found):
            raise Refused("push endpoint is not on the public internet")

    def send(self, subscription: dict, payload: dict, ttl: int) -> None:
        self._check_address(subscription["endpoint"])
        try:
            webpush(subscription, data=json.dumps(payload), vapid_private_key=self.vapid,
                    vapid_claims={"sub": self.contact}, ttl=ttl, timeout=self.timeout,
                    requests_session=self._session)
        except WebPushException as err:
            status = getattr(err.response, "status_code", None)
            if status in (404, 410):
                raise Refused(f"subscription gone ({status})") from None
            if status is None or status == 429 or status >= 500:
                raise NotNow(f"push service busy ({status})") from None
            raise Refused(f"push service refused ({status})") from None
        except requests.RequestException as err:
            raise NotNow(f"push service unreachable: {type(err).__name__}") from None

    def close(self) -> None:
        self._session.close()

