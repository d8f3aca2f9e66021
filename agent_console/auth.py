"""Agents' sessions: Flask-Login, the signed-in agent's site and role, expiry after inactivity."""
from __future__ import annotations

import functools
import ipaddress
import os
import time
from dataclasses import dataclass

from flask import Flask, current_app, jsonify, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy import bindparam
from sqlalchemy import select as sa_select

from accueil import agent_sessions
from accueil.clock import utcnow
from accueil.models import SUPERVISOR, Agent, AgentSession, Site
from web.context import database
from web.security import error_page

login_manager = LoginManager()
SEEN = "agent_seen"
DEFAULT_IDLE_MINUTES = 30


@dataclass
class ConsoleUser(UserMixin):
    id: int
    login: str
    role: str
    site_id: int
    site_slug: str
    site_name: str

    secret: str = ""
    """The session's secret (accueil.agent_sessions): what Flask-Login keeps in the signed cookie."""

    def get_id(self) -> str:
        return self.secret

    @property
    def supervisor(self) -> bool:
        return self.role == SUPERVISOR


# Read on every console request: the session, its agent and the agent's site, in one statement.
_USER = (sa_select(Agent.id, Agent.login, Agent.role, Site.id.label("site_id"), Site.slug, Site.name)
         .select_from(AgentSession)
         .join(Agent, Agent.id == AgentSession.agent_id)
         .join(Site, Site.id == Agent.site_id)
         .where(AgentSession.key_hash == bindparam("key"), AgentSession.ended_at.is_(None),
                Agent.active.is_(True)))


def load(secret: str) -> ConsoleUser | None:
    """The signed-in agent of a session; None if the session ended or the account is disabled."""
    if not isinstance(secret, str) or not 20 <= len(secret) <= 64:
        return None
    with database().session() as s:
        row = s.connection().execute(_USER, {"key": agent_sessions.key_hash(secret)}).first()
    if row is None:
        return None
    return ConsoleUser(row.id, row.login, row.role, row.site_id, row.slug, row.name, secret)


@login_manager.user_loader
def _load_user(user_id: str) -> ConsoleUser | None:
    return load(user_id)


def sign_in(agent_id: int) -> ConsoleUser:
    """Open a server-side session for the agent and sign this browser into it (a new cookie)."""
    with database().write_session() as s:
        secret = agent_sessions.open_session(s, agent_id=agent_id, now=utcnow())
        s.commit()
    user = load(secret)
    session.clear()  # a new session at login: nothing carried over from before
    login_user(user)
    touch()
    return user


def sign_out() -> None:
    """End this browser's session on the server, then forget it here."""
    if current_user.is_authenticated:
        with database().write_session() as s:
            agent_sessions.end_session(s, secret=current_user.secret, now=utcnow())
            s.commit()
    logout_user()
    session.clear()


def wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or request.accept_mimetypes.best == "application/json"


@login_manager.unauthorized_handler
def _unauthorized():
    if wants_json():
        return jsonify(ok=False, message=gettext("Votre session est terminée. Connectez-vous à nouveau."),
                       login=url_for("agent.login")), 401
    return redirect(url_for("agent.login"), code=303)


def idle_seconds() -> int:
    return int(current_app.config.get("AGENT_IDLE_MINUTES", DEFAULT_IDLE_MINUTES) * 60)


def warn_seconds() -> int:
    """How long before the idle logout the console warns (RGAA 13.1: the agent may ask for more time)."""
    return min(120, idle_seconds() // 4)


def expired(sess) -> bool:
    """True when the session saw no request for longer than the idle limit."""
    seen = sess.get(SEEN)
    return not isinstance(seen, (int, float)) or time.time() - seen > idle_seconds()


def touch() -> None:
    session[SEEN] = time.time()


OPEN_ENDPOINTS = frozenset({"agent.login", "agent.static", "supervision.static"})
"""Console endpoints that need no live session: the sign-in page and the files."""


def guard():
    """The console's one rule before each request (every console blueprint registers it): a session
    idle too long ends; an active one slides. The sign-in page and static files are open."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    return check_idle()


def supervisor_only(view):
    """Refuse the view to agents who are not supervisors (after ``login_required``)."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if not current_user.supervisor:
            if wants_json():
                return jsonify(ok=False, message=gettext("Cette action est réservée aux superviseurs.")), 403
            return error_page(403, gettext("Cette page est réservée aux superviseurs."))
        return view(*args, **kwargs)

    return checked


def check_idle():
    """Before each console request: log out a session idle too long; else slide its expiry."""
    if not current_user.is_authenticated:
        return None
    if expired(session):
        sign_out()
        session["agent_expired"] = True
        return login_manager.unauthorized()
    touch()
    return None


def office_networks(value: str) -> tuple:
    """Parse ACCUEIL_OFFICE_NETWORKS ("192.0.2.0/24, 2001:db8::/48"); a wrong entry stops the start."""
    networks = []
    for part in (value or "").replace(";", ",").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise RuntimeError(f"ACCUEIL_OFFICE_NETWORKS: {part.strip()!r} is not a network (e.g. 192.0.2.0/24)")
    return tuple(networks)


def from_office() -> bool:
    """True if the request comes from one of the office's own networks (its address as web/proxy.py reads it)."""
    networks = current_app.extensions.get("accueil.office_networks", ())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


def init_app(app: Flask) -> None:
    app.extensions["accueil.office_networks"] = office_networks(app.config.get("OFFICE_NETWORKS", ""))
    app.config.setdefault("AGENT_IDLE_MINUTES",
                          int(os.environ.get("ACCUEIL_AGENT_IDLE_MINUTES") or DEFAULT_IDLE_MINUTES))
    login_manager.init_app(app)
    login_manager.login_view = "agent.login"
    login_manager.session_protection = "basic"
