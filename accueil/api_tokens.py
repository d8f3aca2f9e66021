"""Tokens of the integrations (booking system, statistics scripts): one site, named scopes."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlmodel import Session, select

from accueil.clock import as_utc
from accueil.errors import InvalidInput, NotFound
from accueil.i18n import N_
from accueil.models import ApiToken

SCOPES = ("appointments:write", "queues:read", "stats:read")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, *, site_id: int, scopes: list[str], label: str = "", now: datetime) -> tuple[ApiToken, str]:
    """Create a token for *site_id* with *scopes*; return it and the secret, shown only once."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidInput(N_("Droits possibles : %(scopes)s."), field="scope", scopes=", ".join(SCOPES))
    secret = "acc_" + secrets.token_urlsafe(32)
    token = ApiToken(site_id=site_id, label=label[:80], token_hash=_digest(secret), scopes=" ".join(sorted(set(scopes))),
                     created_at=as_utc(now))
    session.add(token)
    session.flush()
    return token, secret


def authenticate(session: Session, secret: str | None) -> ApiToken | None:
    """Return the unrevoked token whose secret is *secret*, else None."""
    if not secret:
        return None
    digest = _digest(secret)
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if token is None or token.revoked_at is not None or not hmac.compare_digest(token.token_hash, digest):
        return None
    return token


def revoke(session: Session, token_id: int, *, now: datetime) -> ApiToken:
    token = session.get(ApiToken, token_id) if isinstance(token_id, int) else None
    if token is None:
        raise NotFound(N_("Ce jeton n'existe pas."))
    token.revoked_at = token.revoked_at or as_utc(now)
    session.add(token)
    session.flush()
    return token
