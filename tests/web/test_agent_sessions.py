"""Agents' sessions end for good: a copy of the cookie opens nothing after each way a session ends."""
from __future__ import annotations

import time

import pytest
from sqlmodel import select

from accueil.models import AgentSession
from tests.web.test_configuration_pages import PAGE, ids
from tests.web.test_console import JSON, Console, db, issue

pytestmark = pytest.mark.both_engines  # also on a real PostgreSQL (tests/conftest.py)


def copy_of(console: Console):
    """Another browser holding a copy of the console's session cookie, taken now."""
    thief = console.app.test_client()
    thief.set_cookie("session", console.client.get_cookie("session").value)
    return thief


def opens_the_console(client) -> bool:
    """True if the client gets the console page and its live regions."""
    page = client.get("/agent/")
    snapshot = client.get("/agent/snapshot", headers=JSON)
    return page.status_code == 200 and snapshot.status_code == 200


def reveals(client, console: Console, ticket_id: int) -> int:
    return client.post(f"/agent/tickets/{ticket_id}/reveal", data={"csrf_token": console.token},
                       headers=JSON).status_code


def test_a_copy_taken_before_logout_opens_nothing_after_it(app):
    agent = Console(app, "superviseur.chaumont")  # who may see any number of the site
    ticket_id = issue(app, i=41)
    thief = copy_of(agent)
    assert opens_the_console(thief) and reveals(thief, agent, ticket_id) == 200  # the copy works, until…
    assert agent.post("/agent/logout", json=False).status_code == 303
    assert not opens_the_console(thief)
    assert reveals(thief, agent, ticket_id) == 401
    assert thief.get("/agent/snapshot", headers=JSON).get_json()["login"].endswith("/agent/login")
    other = Console(app, "superviseur.chaumont")  # the agent signs in again: a new session, the copy stays dead
    assert opens_the_console(other.client) and not opens_the_console(thief)


def test_disabling_an_account_ends_its_sessions_and_enabling_it_revives_none(app):
    sup = Console(app, "superviseur.chaumont")
    agent = Console(app, "agent.chaumont")
    thief = copy_of(agent)
    target = ids(app)["agents"]["agent.chaumont"]
    assert sup.post(PAGE + f"/agents/{target}/active", json=False, active="0").status_code == 303
    assert not opens_the_console(agent.client) and not opens_the_console(thief)
    assert sup.post(PAGE + f"/agents/{target}/active", json=False, active="1").status_code == 303
    assert not opens_the_console(agent.client) and not opens_the_console(thief)
    assert opens_the_console(Console(app, "agent.chaumont").client)  # signing in again works


def test_a_new_password_ends_every_session_opened_before(app):
    sup = Console(app, "superviseur.chaumont")
    tablets = [Console(app, "agent.chaumont") for _ in range(2)]
    thief = copy_of(tablets[0])
    target = ids(app)["agents"]["agent.chaumont"]
    assert sup.post(PAGE + f"/agents/{target}/password", json=False, password="nouveau secret 2026").status_code == 303
    assert not any(opens_the_console(c) for c in (tablets[0].client, tablets[1].client, thief))
    assert opens_the_console(sup.client)


def test_an_idle_session_ends_on_the_server_and_its_copy_with_it(app):
    agent = Console(app, "agent.chaumont")
    thief = copy_of(agent)
    app.config["AGENT_IDLE_MINUTES"] = 0.5 / 60  # half a second
    time.sleep(0.8)
    assert not opens_the_console(agent.client)
    app.config["AGENT_IDLE_MINUTES"] = 30
    assert not opens_the_console(thief)  # its idle clock is the same; and on the server it has ended
    with db(app).session() as s:
        rows = s.exec(select(AgentSession)).all()
    assert len(rows) == 1 and rows[0].ended_at is not None


def test_the_database_keeps_no_usable_secret(app):
    agent = Console(app, "agent.chaumont")
    cookie = agent.client.get_cookie("session").value
    with db(app).session() as s:
        (row,) = s.exec(select(AgentSession)).all()
    assert len(row.key_hash) == 64 and row.key_hash not in cookie


def test_behind_https_the_session_cookie_is_secure_and_hsts_is_sent(tmp_path):
    from accueil.demo import demo_password
    from tests.live import demo_app
    from tests.web.test_console import csrf_from

    app = demo_app(tmp_path / "tls", RATELIMIT_ENABLED=False, TESTING=True, TRUSTED_PROXIES=1)
    for proto, secure in (("https", True), ("http", False)):
        client = app.test_client()
        headers = {"X-Forwarded-Proto": proto, "X-Forwarded-For": "203.0.113.7"}
        token = csrf_from(client.get("/agent/login", headers=headers).get_data(as_text=True))
        # What a browser sends under Referrer-Policy: same-origin (over HTTPS the CSRF check wants it).
        r = client.post("/agent/login", headers=headers | {"Referer": f"{proto}://localhost/agent/login"}, data={
            "csrf_token": token, "login": "agent.chaumont", "password": demo_password("chaumont", "agent")})
        assert r.status_code == 303
        cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure
        assert ("Strict-Transport-Security" in r.headers) is secure
    # Without a trusted proxy, a forwarded scheme is nobody's word: nothing changes.
    plain = demo_app(tmp_path / "plain", RATELIMIT_ENABLED=False, TESTING=True).test_client()
    r = plain.get("/agent/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in r.headers
