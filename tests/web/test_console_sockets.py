"""The /agent Socket.IO namespace with real clients: who may connect, what each site receives, logout."""
from __future__ import annotations

import re
import threading

import pytest
import requests
import socketio
from sqlmodel import select

from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.demo import demo_password
from accueil.models import Desk, Site
from tests.conftest import make_nir
from tests.live import start_live_server

pytestmark = pytest.mark.both_engines  # also on a real PostgreSQL (tests/conftest.py)

WAIT = 10


@pytest.fixture
def live(tmp_path, app_database):
    server = start_live_server(tmp_path / "instance", **app_database)
    yield server
    server.stop()


def signed_in(live, login: str | None) -> requests.Session:
    http = requests.Session()
    page = http.get(live.url + "/agent/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    if login:
        role = "superviseur" if login.startswith("superviseur") else "agent"
        r = http.post(live.url + "/agent/login", allow_redirects=False,
                      data={"csrf_token": token, "login": login, "password": demo_password(login.split(".", 1)[1], role)})
        assert r.status_code == 303
        page = http.get(live.url + "/agent/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    http.headers["X-CSRFToken"] = token
    http.headers["X-Requested-With"] = "fetch"
    return http


class Agent:
    """A python-socketio client on /agent that keeps what it receives."""

    def __init__(self, live, http: requests.Session):
        self.messages: list[tuple[str, object]] = []
        self.changed = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._record, namespace="/agent")
        self.client.on("disconnect", lambda *a: self._record("disconnect"), namespace="/agent")
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        self.client.connect(live.url, headers={"Cookie": cookie}, namespaces=["/agent"], transports=["websocket"],
                            wait_timeout=WAIT)

    def _record(self, name, data=None):
        with self.changed:
            self.messages.append((name, data))
            self.changed.notify_all()

    def wait_for(self, predicate, timeout=WAIT):
        with self.changed:
            assert self.changed.wait_for(lambda: any(predicate(n, d) for n, d in self.messages), timeout), self.messages
        return next(d for n, d in self.messages if predicate(n, d))

    def names(self):
        return [n for n, _ in self.messages]


def site_id(live, slug):
    with live.db.session() as s:
        return s.exec(select(Site).where(Site.slug == slug)).one().id


def issue(live, slug, i):
    with live.db.write_session() as s:
        t = check_in(s, live.vault, site_id=site_id(live, slug), has_appointment=True, nir=make_nir(i), now=utcnow()).ticket
        s.commit()
    return t


def test_anonymous_sockets_are_refused(live):
    http = signed_in(live, None)
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(live.url, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in http.cookies.items())},
                       namespaces=["/agent"], transports=["websocket"], wait_timeout=WAIT)
    client.disconnect()


def test_each_site_gets_its_own_snapshot_and_events_only(live):
    a, b = Agent(live, signed_in(live, "agent.chaumont")), Agent(live, signed_in(live, "agent.saint-dizier"))
    sup = Agent(live, signed_in(live, "superviseur.chaumont"))
    snap_a = a.wait_for(lambda n, d: n == "snapshot")
    snap_b = b.wait_for(lambda n, d: n == "snapshot")
    sup.wait_for(lambda n, d: n == "snapshot")
    # A snapshot goes to its own client only: nobody sees another console's (or site's) snapshot.
    assert a.names().count("snapshot") == 1 and b.names().count("snapshot") == 1
    assert isinstance(snap_a["v"], int) and "Bureau 3" in snap_a["regions"]["desks"]
    assert "Bureau 3" not in snap_b["regions"]["desks"]
    ticket = issue(live, "chaumont", 1)
    event = a.wait_for(lambda n, d: n == "event")
    # The update follows the snapshot and carries only what changed: the list of queues, now with the ticket.
    assert event["from"] == snap_a["v"] and event["v"] == snap_a["v"] + 1
    assert set(event["regions"]) == {"queues"} and ticket.code in event["regions"]["queues"]
    assert ticket.public_id not in repr(event) and make_nir(1) not in repr(event)
    assert "csrf_token" not in repr(event)  # the same regions serve every console: no per-session secret
    sup.wait_for(lambda n, d: n == "event")
    # The snapshot asked for afterwards lists the ticket, masked.
    fresh = a.client.call("snapshot", None, namespace="/agent", timeout=WAIT)
    assert fresh["v"] == event["v"] and fresh["regions"]["queues"] == event["regions"]["queues"]
    assert make_nir(1) not in repr(fresh)
    issue(live, "saint-dizier", 2)
    b.wait_for(lambda n, d: n == "event")
    assert [d for n, d in a.messages if n == "event"] == [event]  # nothing of Saint-Dizier reached Chaumont
    assert ["R001" in d["regions"]["queues"] for n, d in b.messages if n == "event"] == [True]
    for x in (a, b, sup):
        x.client.disconnect()


def test_taking_a_desk_in_use_tells_the_other_console(live):
    anne_http, sup_http = signed_in(live, "agent.chaumont"), signed_in(live, "superviseur.chaumont")
    anne, sup = Agent(live, anne_http), Agent(live, sup_http)
    with live.db.session() as s:
        desk = s.exec(select(Desk).where(Desk.site_id == site_id(live, "chaumont"), Desk.name == "Bureau 1")).one()
    assert anne_http.post(live.url + "/agent/desk", data={"desk_id": desk.id}).status_code == 200
    # Taking a desk is an event of the site: every console sees who holds it.
    sup.wait_for(lambda n, d: n == "event" and "agent.chaumont" in d["regions"].get("desks", ""))
    r = sup_http.post(live.url + "/agent/desk", data={"desk_id": desk.id})
    assert r.status_code == 409 and r.json()["confirm"] is True
    assert sup_http.post(live.url + "/agent/desk", data={"desk_id": desk.id, "confirm": "1"}).status_code == 200
    told = anne.wait_for(lambda n, d: n == "desk_taken")
    assert "superviseur.chaumont a pris votre bureau (Bureau 1)" in told["message"]
    assert "desk_taken" not in sup.names()
    anne.client.disconnect()
    sup.client.disconnect()


def test_logout_closes_the_agents_open_sockets(live):
    """Every console of the agent closes; the others stay and still get the site's updates.

    Each client closes its transport as soon as its namespace is closed, racing the server's own
    close: with engineio's waiting disconnect, that race hung the dispatcher for good (found in CI).
    """
    http = signed_in(live, "agent.chaumont")
    consoles = [Agent(live, http) for _ in range(4)]
    other = Agent(live, signed_in(live, "superviseur.chaumont"))
    for x in (*consoles, other):
        x.wait_for(lambda n, d: n == "snapshot")
    r = http.post(live.url + "/agent/logout", allow_redirects=False)
    assert r.status_code == 303
    for x in consoles:
        x.wait_for(lambda n, d: n == "disconnect")
    assert "disconnect" not in other.names()
    # And the old cookie no longer opens a socket.
    with pytest.raises(socketio.exceptions.ConnectionError):
        Agent(live, http)
    ticket = issue(live, "chaumont", 3)
    assert ticket.code in other.wait_for(lambda n, d: n == "event")["regions"]["queues"]
    other.client.disconnect()


def test_consoles_in_the_same_situation_get_one_update_each(live):
    """Two consoles of one agent (two tabs) each get the update, once and the same (the server groups
    such consoles into one send, a saving bench/pipeline.py counts in CPU: a client cannot see it)."""
    http = signed_in(live, "agent.chaumont")
    one, two = Agent(live, http), Agent(live, http)
    for x in (one, two):
        x.wait_for(lambda n, d: n == "snapshot")
    ticket = issue(live, "chaumont", 5)
    first = one.wait_for(lambda n, d: n == "event")
    second = two.wait_for(lambda n, d: n == "event")
    assert first == second and ticket.code in first["regions"]["queues"]
    assert [n for n, _ in one.messages].count("event") == 1 and [n for n, _ in two.messages].count("event") == 1
    for x in (one, two):
        x.client.disconnect()
