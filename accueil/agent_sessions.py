"""Agents' sessions, known to the server: opened at sign-in, ended for good.

The agent's cookie carries a random secret; the database keeps only its SHA-256. A session
is valid while its row has no end: logout ends it, disabling the account or changing its
password ends all of the agent's, and enabling the account again revives none. Checked
on every console request (one indexed read, with the agent and the site), it works the
same on one process and on several behind Redis.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import Session

from accueil.clock import as_utc
from accueil.models import AgentSession

_END = (update(AgentSession)
        .where(AgentSession.key_hash == bindparam("key"), AgentSession.ended_at.is_(None))
        .values(ended_at=bindparam("now")))
_END_ALL = (update(AgentSession)
            .where(AgentSession.agent_id == bindparam("agent"), AgentSession.ended_at.is_(None))
            .values(ended_at=bindparam("now")))


def key_hash(secret: str) -> str:
    """The stored form of a session's secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def open_session(session: Session, *, agent_id: int, now: datetime) -> str:
    """Start a session for the agent; return the secret its cookie carries."""
    secret = secrets.token_urlsafe(32)
    session.add(AgentSession(key_hash=key_hash(secret), agent_id=agent_id, started_at=as_utc(now)))
    session.flush()
    return secret


def end_session(session: Session, *, secret: str, now: datetime) -> None:
    """End the session with this secret (logout, idle limit); nothing if it has ended already."""
    session.connection().execute(_END, {"key": key_hash(secret), "now": as_utc(now)})


def end_all(session: Session, *, agent_id: int, now: datetime) -> int:
    """End every open session of the agent; return how many."""
    session.flush()
    return session.connection().execute(_END_ALL, {"agent": agent_id, "now": as_utc(now)}).rowcount
