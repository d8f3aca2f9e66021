"""Agents' sessions: Flask-Login, the signed-in agent's site and role, expiry after inactivity."""
from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass

from flask import Flask, current_app, jsonify, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import LoginManager, UserMixin, current_user, logout_user
from sqlalchemy import bindparam
from sqlalchemy import select as sa_select

from accueil.ids import is_row_id
from accueil.models import SUPERVISOR, Agent, Site
from web.context import database

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

    stamp: str = ""
    """A keyed digest of the agent's password hash: a new password ends every session opened before."""

    def get_id(self) -> str:
        return f"{self.id}:{self.stamp}"

    @property
    def supervisor(self) -> bool:
        return self.role == SUPERVISOR


def _stamp(password_hash: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:16]


# Read on every console request: one statement, built once.
_USER = (sa_select(Agent.id, Agent.login, Agent.role, Agent.active, Agent.password_hash, Site.id.label("site_id"),
                   Site.slug, Site.name)
         .join(Site, Site.id == Agent.site_id).where(Agent.id == bindparam("agent")))


def load(agent_id: int, stamp: str | None = None) -> ConsoleUser | None:
    """The agent as a signed-in user; None if gone, disabled, or (*stamp* given) their password changed since."""
    if not is_row_id(agent_id):
        return None
    with database().session() as s:
        row = s.connection().execute(_USER, {"agent": agent_id}).first()
    if row is None or not row.active:
        return None
    current = _stamp(row.password_hash)
    if stamp is not None and not hmac.compare_digest(stamp, current):
        return None
    return ConsoleUser(row.id, row.login, row.role, row.site_id, row.slug, row.name, current)


@login_manager.user_loader
def _load_user(user_id: str) -> ConsoleUser | None:
    agent_id, _, stamp = user_id.partition(":")
    return load(int(agent_id), stamp) if agent_id.isdigit() and stamp else None


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


def check_idle():
    """Before each console request: log out a session idle too long; else slide its expiry."""
    if not current_user.is_authenticated:
        return None
    if expired(session):
        logout_user()
        session.pop(SEEN, None)
        session["agent_expired"] = True
        return login_manager.unauthorized()
    touch()
    return None


def init_app(app: Flask) -> None:
    app.config.setdefault("AGENT_IDLE_MINUTES",
                          int(os.environ.get("ACCUEIL_AGENT_IDLE_MINUTES") or DEFAULT_IDLE_MINUTES))
    login_manager.init_app(app)
    login_manager.login_view = "agent.login"
    login_manager.session_protection = "basic"
