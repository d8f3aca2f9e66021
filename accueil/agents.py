"""Agent accounts: creation and password checks (scrypt, through Werkzeug)."""
from __future__ import annotations

import functools
import re
import unicodedata

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from accueil.errors import InvalidInput, NotFound
from accueil.i18n import N_
from accueil.ids import is_slug
from accueil.models import AGENT, SUPERVISOR, Agent, Site
from accueil.offload import off_loop
from accueil.statements import Prepared

MIN_PASSWORD = 10
PASSWORD_METHOD = "scrypt"
"""How passwords are hashed (Werkzeug's scrypt and its cost). The test suite lowers the cost
for the accounts it makes by the hundred (tests/conftest.py); the product never does."""
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")


def normalize_login(raw: object) -> str:
    """The one form of a login, for sign-in, accounts and limits alike: spaces around dropped,
    compatibility characters folded (full-width letters, ligatures), case folded."""
    if not isinstance(raw, str):
        return ""
    return unicodedata.normalize("NFKC", raw).strip().casefold()[:60]


_SITE_BY_SLUG = Prepared(sa_select(*Site.__table__.columns).where(Site.slug == bindparam("slug")))


def site_by_slug(session: Session, slug: str) -> Site:
    """Return the site named *slug* as it is now, or NotFound.

    Read on every visitor request (check-in, ticket page): one cached Core statement, and the
    object built from its row, not tracked by the session (read it, do not change it).
    """
    row = _SITE_BY_SLUG.first(session.connection(), {"slug": slug}) if is_slug(slug) else None
    if row is None:
        raise NotFound(N_("Le site « %(slug)s » n'existe pas."), slug=str(slug)[:40])
    return Site.model_construct(**row._asdict())


def add_agent(session: Session, *, login: str, site_id: int, password: str, supervisor: bool = False) -> Agent:
    """Create an agent account; the password is stored as a scrypt hash."""
    login = normalize_login(login)
    if not LOGIN_RE.match(login):
        raise InvalidInput(
            N_("L'identifiant : 2 à 60 caractères, lettres minuscules, chiffres, point, tiret."), field="login"
        )
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(N_("Le mot de passe doit avoir au moins %(min)s caractères."), field="password",
                           min=MIN_PASSWORD)
    if session.exec(select(Agent).where(Agent.login == login)).first() is not None:
        raise InvalidInput(N_("L'identifiant « %(login)s » est déjà pris."), field="login", login=login)
    agent = Agent(
        login=login,
        site_id=site_id,
        password_hash=hash_password(password),
        role=SUPERVISOR if supervisor else AGENT,
    )
    session.add(agent)
    session.flush()
    return agent


def authenticate(session: Session, login: str, password: str) -> Agent | None:
    """Return the active agent whose login and password match, else None."""
    login = normalize_login(login)
    agent = session.exec(select(Agent).where(Agent.login == login)).first() if LOGIN_RE.match(login) else None
    if agent is None or not agent.active:
        # Spend the same time as a real check so a login's existence does not leak.
        off_loop(check_password_hash, _dummy_hash(), password or "")
        return None
    return agent if off_loop(check_password_hash, agent.password_hash, password or "") else None


def hash_password(password: str) -> str:
    """The stored form of *password* (scrypt), computed off the event loop."""
    return off_loop(generate_password_hash, password, PASSWORD_METHOD)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check against when the login is unknown (made on first use: a scrypt costs 0.1 s)."""
    return hash_password("not a password")
