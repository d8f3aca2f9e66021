"""The agent console over HTTP: login, expiry, authorisation matrix, actions, bad input, registration, devices."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from accueil.agents import add_agent
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.demo import demo_password
from accueil.devices import create_enrolment
from accueil.identity import mask_nir
from accueil.models import Agent, Desk, Device, NirReveal, Queue, Site, Ticket
from tests.conftest import make_nir, table_counts

pytestmark = pytest.mark.both_engines  # also on a real PostgreSQL (tests/conftest.py)

JSON = {"X-Requested-With": "fetch", "Accept": "application/json"}


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Console:
    """A test client signed in as one agent, with its CSRF token."""

    def __init__(self, app, login: str | None, password: str | None = None):
        self.app = app
        self.client = app.test_client()
        self.token = csrf_from(self.client.get("/agent/login").get_data(as_text=True))
        if login:
            if password is None:
                slug = login.split(".", 1)[1]
                password = demo_password(slug, "superviseur" if login.startswith("superviseur") else "agent")
            r = self.client.post("/agent/login", data={"csrf_token": self.token, "login": login, "password": password})
            assert r.status_code == 303, r.get_data(as_text=True)
            self.token = csrf_from(self.client.get("/agent/").get_data(as_text=True))

    def post(self, path, json=True, **data):
        return self.client.post(path, data={"csrf_token": self.token, **data}, headers=JSON if json else {})

    def get(self, path):
        return self.client.get(path)


def db(app):
    return app.extensions["accueil.db"]


def site_id(app, slug):
    with db(app).session() as s:
        return s.exec(select(Site).where(Site.slug == slug)).one().id


def desk_id(app, slug, name):
    with db(app).session() as s:
        sid = site_id(app, slug)
        return s.exec(select(Desk).where(Desk.site_id == sid, Desk.name == name)).one().id


def issue(app, slug="chaumont", i=1, appointment=True, nir=True):
    with db(app).write_session() as s:
        t = check_in(s, app.extensions["accueil.vault"], site_id=site_id(app, slug), has_appointment=appointment,
                     nir=make_nir(i) if nir else None, now=utcnow()).ticket
        s.commit()
    return t.id


def ticket(app, tid) -> Ticket:
    with db(app).session() as s:
        return s.get(Ticket, tid)


def key() -> str:
    return f"k{time.monotonic_ns():020d}"


# --- login, logout, expiry, rate limits ---------------------------------------------------------


def test_the_console_asks_anonymous_visitors_to_sign_in(client):
    r = client.get("/agent/")
    assert r.status_code == 303 and r.headers["Location"].endswith("/agent/login")
    page = client.get("/agent/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="csrf_token"' in html and 'autocomplete="current-password"' in html
    assert page.headers["Cache-Control"] == "no-store"


def test_wrong_password_is_refused_with_a_plain_message(app):
    c = Console(app, None)
    r = c.client.post("/agent/login", data={"csrf_token": c.token, "login": "agent.chaumont", "password": "nope"})
    assert r.status_code == 401 and "Identifiant ou mot de passe incorrect." in r.get_data(as_text=True)
    assert c.get("/agent/").status_code == 303


def test_login_needs_the_csrf_token(client):
    r = client.post("/agent/login", data={"login": "agent.chaumont", "password": demo_password("chaumont", "agent")})
    assert r.status_code == 400
    assert client.get("/agent/").status_code == 303


def attempt(app, address: str, login: str, password: str) -> int:
    """One sign-in from *address* in a fresh browser: the answer's status."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = csrf_from(client.get("/agent/login").get_data(as_text=True))
    return client.post("/agent/login", data={"csrf_token": token, "login": login, "password": password}).status_code


def test_sign_in_limits_slow_a_guesser_and_never_lock_the_agent_out(tmp_path):
    from tests.live import demo_app

    app = demo_app(tmp_path / "rl", RATELIMIT_ENABLED=True, TESTING=True, OFFICE_NETWORKS="10.1.0.0/16")
    right, stranger = demo_password("chaumont", "superviseur"), "198.51.100.7"
    codes = [attempt(app, stranger, "superviseur.chaumont", f"wrong-{i}") for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    assert attempt(app, stranger, "superviseur.chaumont", right) == 429  # the guesser's own address waits
    # Written differently, it is the same login for the limits: padded, in capitals, in full-width letters.
    assert attempt(app, stranger, "  SUPERVISEUR.Chaumont ", "wrong") == 429
    assert attempt(app, stranger, "ｓｕｐｅｒｖｉｓｅｕｒ.chaumont", "wrong") == 429
    # The supervisor at the office and at home signs in at once: the stranger's failures are the stranger's.
    assert attempt(app, "10.1.2.3", "superviseur.chaumont", right) == 303
    assert attempt(app, "203.0.113.9", "superviseur.chaumont", right) == 303
    db(app).dispose()


def test_guessing_one_login_from_many_addresses_stops_outside_the_office_only(tmp_path):
    from tests.live import demo_app

    app = demo_app(tmp_path / "rl", RATELIMIT_ENABLED=True, TESTING=True, OFFICE_NETWORKS="10.1.0.0/16")
    right = demo_password("chaumont", "agent")
    assert [attempt(app, f"198.51.100.{i}", "agent.chaumont", "wrong") for i in range(30)] == [401] * 30
    assert attempt(app, "203.0.113.9", "agent.chaumont", right) == 429  # from outside: the login rests
    assert attempt(app, "10.1.9.9", "agent.chaumont", right) == 303  # from the office: never blocked
    assert attempt(app, "203.0.113.9", "agent.saint-dizier", demo_password("saint-dizier", "agent")) == 303
    db(app).dispose()


def test_a_login_written_differently_signs_in_as_itself(app):
    right = demo_password("chaumont", "agent")
    for written in ("  agent.chaumont ", "AGENT.Chaumont", "ａｇｅｎｔ.ｃｈａｕｍｏｎｔ"):
        assert attempt(app, "127.0.0.1", written, right) == 303, written
    assert attempt(app, "127.0.0.1", "аgent.chaumont", right) == 401  # a Cyrillic « а »: another login


def test_session_expires_after_inactivity_and_slides_with_activity(app):
    app.config["AGENT_IDLE_MINUTES"] = 30
    c = Console(app, "agent.chaumont")
    with c.client.session_transaction() as sess:
        sess["agent_seen"] = time.time() - 29 * 60
    assert c.get("/agent/").status_code == 200  # still alive: and the clock starts again
    with c.client.session_transaction() as sess:
        assert time.time() - sess["agent_seen"] < 5
        sess["agent_seen"] = time.time() - 31 * 60
    r = c.post("/agent/call-next", key=key())
    assert r.status_code == 401 and r.json["login"] == "/agent/login"
    assert c.get("/agent/").status_code == 303
    page = c.get("/agent/login").get_data(as_text=True)
    assert "Votre session a expiré après 30 minutes sans activité." in page


def test_stay_connected_slides_the_session_but_cannot_revive_an_expired_one(app):
    app.config["AGENT_IDLE_MINUTES"] = 30
    assert Console(app, None).post("/agent/session").status_code == 401  # not signed in
    c = Console(app, "agent.chaumont")
    assert '"warnSeconds": 120' in c.get("/agent/").get_data(as_text=True)
    with c.client.session_transaction() as sess:
        sess["agent_seen"] = time.time() - 28 * 60  # warned two minutes before the end
    r = c.post("/agent/session")
    assert r.status_code == 200 and r.json["ok"] is True
    with c.client.session_transaction() as sess:
        assert time.time() - sess["agent_seen"] < 5
        sess["agent_seen"] = time.time() - 31 * 60
    assert c.post("/agent/session").status_code == 401
    assert c.get("/agent/").status_code == 303


def test_logout_releases_the_desk_and_ends_the_session(app):
    c = Console(app, "agent.chaumont")
    desk = desk_id(app, "chaumont", "Bureau 1")
    assert c.post("/agent/desk", desk_id=str(desk)).status_code == 200
    r = c.post("/agent/logout", json=False)
    assert r.status_code == 303 and r.headers["Location"].endswith("/agent/login")
    with db(app).session() as s:
        assert s.get(Desk, desk).agent_id is None
    assert c.get("/agent/").status_code == 303


# --- the authorisation matrix -------------------------------------------------------------------

ROLES = ("anonymous", "agent_a", "supervisor_a", "agent_b", "supervisor_b")


@pytest.fixture
def world(app):
    """Site A (chaumont) with a ticket in each state the matrix needs and a device; site B has its own."""
    with db(app).write_session() as s:
        add_agent(s, login="superviseur.b", site_id=site_id(app, "saint-dizier"), password="superviseur-b-pass",
                  supervisor=True)
        device, _ = create_enrolment(s, site_id=site_id(app, "chaumont"), kind="kiosk", label="Test", now=utcnow())
        s.commit()
    return {"ticket": issue(app, "chaumont", 1), "device": device.id}


def consoles(app):
    return {
        "anonymous": Console(app, None),
        "agent_a": Console(app, "agent.chaumont"),
        "supervisor_a": Console(app, "superviseur.chaumont"),
        "agent_b": Console(app, "agent.saint-dizier"),
        "supervisor_b": Console(app, "superviseur.b", "superviseur-b-pass"),
    }


PAGES = ["/agent/", "/agent/snapshot", "/agent/register", "/agent/register/{ticket}", "/agent/devices"]
# role -> expected status per page (303 = sent to the login page)
PAGE_MATRIX = {
    "anonymous": [303, 303, 303, 303, 303],
    "agent_a": [200, 200, 200, 200, 403],
    "supervisor_a": [200, 200, 200, 200, 200],
    "agent_b": [200, 200, 200, 404, 403],
    "supervisor_b": [200, 200, 200, 404, 200],
}


def test_pages_matrix(app, world):
    cs = consoles(app)
    for role in ROLES:
        got = [cs[role].get(p.format(**world)).status_code for p in PAGES]
        assert got == PAGE_MATRIX[role], role
    # What a console of site B shows holds nothing of site A.
    page_b = cs["agent_b"].get("/agent/").get_data(as_text=True)
    code_a = ticket(app, world["ticket"]).code
    assert code_a not in page_b and "Bureau 3" not in page_b  # Saint-Dizier has two desks
    assert code_a in cs["agent_a"].get("/agent/").get_data(as_text=True)
    devices_b = cs["supervisor_b"].get("/agent/devices").get_data(as_text=True)
    assert f"device-{world['device']}" not in devices_b
    assert f"device-{world['device']}" in cs["supervisor_a"].get("/agent/devices").get_data(as_text=True)


TICKET_ACTIONS = ["call", "recall", "start", "finish", "no-show", "cancel", "transfer", "reveal"]


def test_actions_on_another_sites_ticket_are_refused_and_change_nothing(app, world):
    cs = consoles(app)
    sd_desk = desk_id(app, "saint-dizier", "Bureau 1")
    cs["agent_b"].post("/agent/desk", desk_id=str(sd_desk))
    cs["supervisor_b"].post("/agent/desk", desk_id=str(desk_id(app, "saint-dizier", "Bureau 2")))
    a_queue = ticket(app, world["ticket"]).queue_id
    before = table_counts(db(app))
    for role in ("agent_b", "supervisor_b"):
        for action in TICKET_ACTIONS:
            r = cs[role].post(f"/agent/tickets/{world['ticket']}/{action}", key=key(), target=f"queue:{a_queue}")
            assert r.status_code == 404 and r.json["message"] == "Ce ticket n'existe pas.", (role, action)
        # Site A's desks and devices do not exist either.
        r = cs[role].post("/agent/desk", desk_id=str(desk_id(app, "chaumont", "Bureau 1")))
        assert r.status_code == 404 and r.json["message"] == "Ce bureau n'existe pas."
    r = cs["supervisor_b"].post(f"/agent/devices/{world['device']}/revoke")
    assert r.status_code == 404
    r = cs["agent_b"].post(f"/agent/devices/{world['device']}/revoke")
    assert r.status_code == 403
    assert table_counts(db(app)) == before
    assert ticket(app, world["ticket"]).status == "waiting"
    with db(app).session() as s:
        assert s.get(Device, world["device"]).revoked_at is None


def test_anonymous_actions_are_sent_to_login_and_change_nothing(app, world):
    anon = Console(app, None)
    before = table_counts(db(app))
    paths = ["/agent/desk", "/agent/desk/release", "/agent/desk/pause", "/agent/desk/resume", "/agent/call-next",
             "/agent/register", "/agent/devices", f"/agent/devices/{world['device']}/revoke", "/agent/logout",
             *[f"/agent/tickets/{world['ticket']}/{a}" for a in TICKET_ACTIONS]]
    for path in paths:
        r = anon.post(path, key=key(), desk_id="1", appointment="no", no_nir="1", kind="kiosk")
        assert r.status_code == 401 and r.json["login"] == "/agent/login", path
        assert anon.post(path, json=False).status_code == 303, path
    assert table_counts(db(app)) == before


def test_actions_need_the_csrf_token(app, world):
    c = Console(app, "agent.chaumont")
    before = table_counts(db(app))
    r = c.client.post("/agent/desk", data={"desk_id": str(desk_id(app, "chaumont", "Bureau 1"))}, headers=JSON)
    assert r.status_code == 400
    r = c.client.post(f"/agent/tickets/{world['ticket']}/cancel", data={"key": key()}, headers=JSON)
    assert r.status_code == 400
    assert table_counts(db(app)) == before


def test_a_ticket_in_hand_at_another_desk_is_not_yours_but_a_supervisor_may_act(app, world):
    agent, sup = Console(app, "agent.chaumont"), Console(app, "superviseur.chaumont")
    agent.post("/agent/desk", desk_id=str(desk_id(app, "chaumont", "Bureau 1")))
    sup.post("/agent/desk", desk_id=str(desk_id(app, "chaumont", "Bureau 2")))
    r = agent.post("/agent/call-next", key=key())
    assert r.status_code == 200 and r.json["ticket"] == ticket(app, world["ticket"]).code
    helper = Console(app, "agent.chaumont")  # same agent, second screen: still their desk
    assert helper.post(f"/agent/tickets/{world['ticket']}/recall", key=key()).status_code == 200
    with db(app).write_session() as s:
        add_agent(s, login="autre.chaumont", site_id=site_id(app, "chaumont"), password="autre-chaumont")
        s.commit()
    other = Console(app, "autre.chaumont", "autre-chaumont")
    other.post("/agent/desk", desk_id=str(desk_id(app, "chaumont", "Bureau 3")))
    before = table_counts(db(app))
    r = other.post(f"/agent/tickets/{world['ticket']}/no-show", key=key())
    assert r.status_code == 400 and "suivi par un autre bureau" in r.json["message"]
    assert table_counts(db(app)) == before and ticket(app, world["ticket"]).status == "called"
    assert sup.post(f"/agent/tickets/{world['ticket']}/no-show", key=key()).status_code == 200
    assert ticket(app, world["ticket"]).status == "no_show"


def test_supervisor_enrols_and_revokes_devices_of_their_site(app):
    sup = Console(app, "superviseur.chaumont")
    r = sup.post("/agent/devices", json=False, kind="display", label="Salle 1", key=key())
    html = r.get_data(as_text=True)
    link = re.search(r'id="enrol-link">([^<]+)<', html).group(1)
    assert r.status_code == 200 and "/appareil/" in link
    token = link.rsplit("/", 1)[1]
    with db(app).session() as s:
        device = s.exec(select(Device).where(Device.label == "Salle 1")).one()
        assert device.site_id == site_id(app, "chaumont") and device.kind == "display"
    assert sup.get(f"/appareil/{token}").status_code == 200  # the link works, once
    assert token not in sup.get("/agent/devices").get_data(as_text=True)  # shown only once
    r = sup.post(f"/agent/devices/{device.id}/revoke", json=False)
    assert r.status_code == 303
    with db(app).session() as s:
        assert s.get(Device, device.id).revoked_at is not None
    assert sup.post("/agent/devices", json=False, kind="toaster", label="Salle 2", key=key()).status_code == 400
    agent = Console(app, "agent.chaumont")
    assert agent.post("/agent/devices", kind="kiosk", key=key()).status_code == 403


# --- desks and calling -----------------------------------------------------------------------------


def test_taking_a_desk_in_use_asks_to_confirm(app):
    a, s = Console(app, "agent.chaumont"), Console(app, "superviseur.chaumont")
    desk = desk_id(app, "chaumont", "Bureau 1")
    assert a.post("/agent/desk", desk_id=str(desk)).json["message"] == "Votre bureau : Bureau 1."
    r = s.post("/agent/desk", desk_id=str(desk))
    assert r.status_code == 409 and r.json["confirm"] is True
    assert "agent.chaumont travaille déjà à ce bureau" in r.json["message"]
    with db(app).session() as ss:
        assert ss.get(Desk, desk).agent_id == ss.exec(select(Agent.id).where(Agent.login == "agent.chaumont")).one()
    assert s.post("/agent/desk", desk_id=str(desk), confirm="1").status_code == 200
    r = a.post("/agent/call-next", key=key())
    assert r.status_code == 409 and r.json["message"] == "Choisissez d'abord votre bureau."


def test_call_next_is_refused_without_a_desk_or_while_paused(app):
    tid = issue(app)
    c = Console(app, "agent.chaumont")
    before = table_counts(db(app))
    assert c.post("/agent/call-next", key=key()).json["message"] == "Choisissez d'abord votre bureau."
    assert c.post(f"/agent/tickets/{tid}/call", key=key()).json["message"] == "Choisissez d'abord votre bureau."
    c.post("/agent/desk", desk_id=str(desk_id(app, "chaumont", "Bureau 1")))
    c.post("/agent/desk/pause")
    before = table_counts(db(app))
    r = c.post("/agent/call-next", key=key())
    assert r.status_code == 409 and r.json["message"] == "Votre bureau est en pause. Reprenez pour appeler."
    assert table_counts(db(app)) == before and ticket(app, tid).status == "waiting"
    c.post("/agent/desk/resume")
    assert c.post("/agent/call-next", key=key()).status_code == 200
    assert ticket(app, tid).status == "called"


def test_a_double_press_does_one_thing(app):
    first, second = issue(app, i=1, appointment=False), issue(app, i=2, appointment=False)
    c = Console(app, "agent.chaumont")
    c.post("/agent/desk", desk_id=str(desk_id(app, "chaumont", "Espace numérique")))  # a zone: calls several
    k = key()
    assert c.post("/agent/call-next", key=k).status_code == 200
    again = c.post("/agent/call-next", key=k)
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert ticket(app, first).status == "called" and ticket(app, second).status == "waiting"
    assert c.post("/agent/call-next", key="bad key!").status_code == 400
    assert ticket(app, second).status == "waiting"


def test_the_full_life_of_a_ticket_from_the_console(app):
    tid = issue(app)
    c = Console(app, "agent.chaumont")
    c.post("/agent/desk", desk_id=str(desk_id(app, "chaumont", "Bureau 1")))
    code = ticket(app, tid).code
    assert c.post("/agent/call-next", key=key()).json["message"] == f"Le ticket {code} est appelé. Bureau : Bureau 1."
    assert c.post(f"/agent/tickets/{tid}/recall", key=key()).json["message"] == f"Le ticket {code} est rappelé."
    assert ticket(app, tid).recalls == 1
    assert c.post(f"/agent/tickets/{tid}/start", key=key()).status_code == 200
    html = c.get("/agent/").get_data(as_text=True)
    assert f'id="hand-{tid}"' in html and mask_nir(make_nir(1)) in html and make_nir(1) not in html
    assert c.post(f"/agent/tickets/{tid}/finish", key=key()).status_code == 200
    assert ticket(app, tid).status == "done"


def test_transfer_to_a_queue_and_to_a_desk(app):
    tid = issue(app)
    c = Console(app, "agent.chaumont")
    c.post("/agent/desk", desk_id=str(desk_id(app, "chaumont", "Bureau 1")))
    c.post("/agent/call-next", key=key())
    with db(app).session() as s:
        n_queue = s.exec(select(Queue).where(Queue.site_id == site_id(app, "chaumont"), Queue.letter == "N")).one()
    r = c.post(f"/agent/tickets/{tid}/transfer", key=key(), target=f"queue:{n_queue.id}")
    assert r.status_code == 200 and ticket(app, tid).queue_id == n_queue.id and ticket(app, tid).status == "waiting"
    bureau2 = desk_id(app, "chaumont", "Bureau 2")
    r = c.post(f"/agent/tickets/{tid}/transfer", key=key(), target=f"desk:{bureau2}")
    assert r.status_code == 200, r.json
    assert ticket(app, tid).status == "called" and ticket(app, tid).desk_id == bureau2
    before = table_counts(db(app))
    for target in ("", "queue:abc", "desk:999", "elsewhere:1"):
        r = c.post(f"/agent/tickets/{tid}/transfer", key=key(), target=target)
        assert r.status_code in (400, 404) and r.json["ok"] is False, target
    assert table_counts(db(app)) == before


# --- bad input ---------------------------------------------------------------------------------------


def test_bad_input_gets_a_clear_message_and_changes_nothing(app):
    tid = issue(app)
    c = Console(app, "agent.chaumont")
    c.post("/agent/desk", desk_id=str(desk_id(app, "chaumont", "Bureau 1")))
    before = table_counts(db(app))
    cases = [
        ("/agent/tickets/999999/call", 404, "Ce ticket n'existe pas."),
        ("/agent/tickets/999999/finish", 404, "Ce ticket n'existe pas."),
        ("/agent/tickets/0/start", 400, "Identifiant invalide : ticket."),
        (f"/agent/tickets/{tid}/finish", 409, "est « en attente » : cette action n'est pas possible."),
        (f"/agent/tickets/{tid}/start", 409, "est « en attente » : cette action n'est pas possible."),
        (f"/agent/tickets/{tid}/recall", 409, "est « en attente » : cette action n'est pas possible."),
        (f"/agent/tickets/{tid}/no-show", 409, "est « en attente » : cette action n'est pas possible."),
    ]
    for path, status, message in cases:
        r = c.post(path, key=key())
        assert r.status_code == status and message in r.json["message"], (path, r.json)
    assert c.post(f"/agent/tickets/{tid}/explode", key=key()).status_code == 404
    assert c.post("/agent/tickets/abc/call", key=key()).status_code == 404
    assert c.post("/agent/desk", desk_id="abc").status_code == 404
    assert table_counts(db(app)) == before and ticket(app, tid).status == "waiting"
    # A finished ticket cannot be recalled, started or cancelled.
    c.post("/agent/call-next", key=key())
    c.post(f"/agent/tickets/{tid}/start", key=key())
    c.post(f"/agent/tickets/{tid}/finish", key=key())
    before = table_counts(db(app))
    for action in ("recall", "start", "finish", "cancel", "no-show", "call"):
        r = c.post(f"/agent/tickets/{tid}/{action}", key=key())
        assert r.status_code == 409 and "terminé" in r.json["message"], action
    assert table_counts(db(app)) == before and ticket(app, tid).status == "done"


def test_without_javascript_an_error_comes_back_as_a_message_on_the_console(app):
    c = Console(app, "agent.chaumont")
    r = c.post("/agent/tickets/424242/finish", json=False, key=key())
    assert r.status_code == 303 and r.headers["Location"] == "/agent/"
    page = c.get("/agent/").get_data(as_text=True)
    assert 'class="message message-error">Ce ticket n&#39;existe pas.' in page


# --- reveal --------------------------------------------------------------------------------------------


def test_reveal_shows_the_number_to_an_agent_of_the_site_and_records_it(app):
    tid = issue(app, i=3)
    c = Console(app, "agent.chaumont")
    r = c.post(f"/agent/tickets/{tid}/reveal")  # waiting: not the person in front of this agent
    assert r.status_code == 409 and make_nir(3) not in r.get_data(as_text=True)
    assert c.post("/agent/desk", desk_id=desk_id(app, "chaumont", "Bureau 1")).status_code == 200
    assert c.post(f"/agent/tickets/{tid}/call", key=key()).status_code == 200
    r = c.post(f"/agent/tickets/{tid}/reveal")
    assert r.status_code == 200 and r.json["nir"].replace(" ", "") == make_nir(3)
    assert r.headers["Cache-Control"] == "no-store"
    with db(app).session() as s:
        rows = s.exec(select(NirReveal)).all()
        agent_id = s.exec(select(Agent.id).where(Agent.login == "agent.chaumont")).one()
    assert [(x.ticket_id, x.agent_id) for x in rows] == [(tid, agent_id)]
    other = Console(app, "agent.saint-dizier")
    r = other.post(f"/agent/tickets/{tid}/reveal")
    assert r.status_code == 404 and make_nir(3) not in r.get_data(as_text=True)


# --- assisted registration -------------------------------------------------------------------------


def test_assisted_registration_gives_a_big_number_and_follows_the_same_rules(app):
    c = Console(app, "agent.chaumont")
    r = c.post("/agent/register", json=False, appointment="no", nir=make_nir(5), phone="06 12 34 56 78", key=key())
    assert r.status_code == 303
    page = c.get(r.headers["Location"])
    html = page.get_data(as_text=True)
    with db(app).session() as s:
        t = s.exec(select(Ticket).where(Ticket.channel == "assisted")).one()
    assert t.letter == "N" and not t.needs_identification and t.phone_enc is not None
    assert f'<p class="big-number" id="ticket-number">{t.code}</p>' in html
    # The same person again: the same ticket back (duplicate rule of self check-in).
    r = c.post("/agent/register", json=False, appointment="no", nir=make_nir(5), key=key())
    assert r.headers["Location"].endswith(f"/agent/register/{t.id}")
    assert "avait déjà un ticket" in c.get(r.headers["Location"]).get_data(as_text=True)
    # « Sans numéro », with an appointment: the appointment desks, flagged for identification.
    r = c.post("/agent/register", json=False, appointment="yes", no_nir="1", key=key())
    with db(app).session() as s:
        t2 = s.get(Ticket, int(r.headers["Location"].rsplit("/", 1)[1]))
    assert t2.letter == "R" and t2.needs_identification and t2.appointment_not_found and t2.nir_enc is None


def test_assisted_registration_bad_input_says_what_to_fix_and_stores_nothing(app):
    c = Console(app, "agent.chaumont")
    before = table_counts(db(app))
    cases = [
        ({"nir": make_nir(1)}, "Dites si la personne a un rendez-vous."),
        ({"appointment": "no"}, "Écrivez le numéro de sécurité sociale, ou cochez « Sans numéro »."),
        ({"appointment": "no", "nir": "1 85 01 75 056 001"}, "Il manque les deux derniers chiffres"),
        ({"appointment": "no", "nir": make_nir(1)[:-2] + "00"}, "Le numéro est faux"),
        ({"appointment": "no", "no_nir": "1", "phone": "06 12 34"}, "Le numéro de téléphone a 10 chiffres"),
    ]
    for data, message in cases:
        r = c.post("/agent/register", json=False, key=key(), **data)
        html = r.get_data(as_text=True).replace("&#39;", "'")
        assert r.status_code == 400 and message in html, data
        assert 'aria-invalid="true"' in html or "appointment-error" in html
    assert table_counts(db(app)) == before


def test_the_console_speaks_english_and_arabic(app):
    c = Console(app, "agent.chaumont")
    c.client.set_cookie("lang", "en")
    html = c.get("/agent/").get_data(as_text=True)
    assert "Staff console" in html and "Choose your desk" in html
    r = c.post("/agent/call-next", key=key())
    assert r.json["message"] == "First choose your desk."
    c.client.set_cookie("lang", "ar")
    html = c.get("/agent/").get_data(as_text=True)
    assert 'dir="rtl"' in html and "لوحة الموظفين" in html


def test_assisted_registration_records_needs_and_the_console_flags_them(app):
    c = Console(app, "agent.chaumont")
    r = c.client.post("/agent/register", data={"csrf_token": c.token, "appointment": "no", "no_nir": "1",
                                               "needs": ["lsf", "interpreter"], "interpreter_language": "uk",
                                               "priority": "1", "key": key()})
    assert r.status_code == 303
    with db(app).session() as s:
        t = s.exec(select(Ticket).where(Ticket.channel == "assisted")).one()
    assert t.needs == 3 and t.interpreter_language == "uk" and t.priority > 0
    html = c.get("/agent/").get_data(as_text=True)
    assert "Langue des signes (LSF)" in html and 'lang="uk">Українська' in html and "Prioritaire" in html
    before = table_counts(db(app))
    r = c.client.post("/agent/register", data={"csrf_token": c.token, "appointment": "no", "no_nir": "1",
                                               "needs": ["teleport"], "key": key()})
    assert r.status_code == 400 and "Besoin inconnu." in r.get_data(as_text=True)
    assert table_counts(db(app)) == before


def test_a_wrong_office_network_stops_the_start(tmp_path):
    from app import create_app

    with pytest.raises(RuntimeError, match="ACCUEIL_OFFICE_NETWORKS"):
        create_app({"INSTANCE_PATH": str(tmp_path / "x"), "OFFICE_NETWORKS": "10.1.0.0/16, le bureau"})


@pytest.mark.parametrize("label", ["", "   ", "\u200b", "Borne\x00", "x" * 81])
def test_a_device_needs_a_name_and_a_refused_one_stores_nothing(app, label):
    """The alerts name devices by their label: a device without one, or with one that cannot be stored, is refused
    with the reason, and the form keeps what was chosen."""
    sup = Console(app, "superviseur.chaumont")
    before = table_counts(db(app))
    r = sup.post("/agent/devices", json=False, kind="display", label=label, key=key())
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'role="alert"' in html and "/appareil/" not in html
    assert 'id="kind-display" name="kind" value="display" checked' in html
    assert table_counts(db(app)) == before


def test_the_devices_page_says_which_give_signs_of_life(app):
    sup = Console(app, "superviseur.chaumont")
    now = utcnow()
    with db(app).write_session() as s:
        quiet, _ = create_enrolment(s, site_id=site_id(app, "chaumont"), kind="kiosk", label="Entrée", now=now)
        alive, _ = create_enrolment(s, site_id=site_id(app, "chaumont"), kind="display", label="Salle", now=now)
        pending, _ = create_enrolment(s, site_id=site_id(app, "chaumont"), kind="display", label="Étage", now=now)
        for device, seen in ((quiet, now - timedelta(minutes=5)), (alive, now)):
            device.enrolled_at, device.last_seen_at = now - timedelta(hours=1), seen
        s.commit()
    html = sup.get("/agent/devices").get_data(as_text=True)
    assert re.search(rf'class="device device-offline" id="device-{quiet.id}">\s*<p class="device-name"><strong>Entrée', html)
    assert f'class="device device-online" id="device-{alive.id}"' in html
    assert f'class="device device-pending" id="device-{pending.id}"' in html
    assert "Ne répond plus" in html and "En marche" in html and "dernier signe" in html
