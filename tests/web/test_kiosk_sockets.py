"""The ticket page's live channel, with real Socket.IO clients against a real server."""
from __future__ import annotations

import queue
import re

import pytest
import requests
import socketio
from sqlmodel import select

from accueil import tickets
from accueil.audiences import PHONE_FIELDS
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.models import Desk, Site
from tests.conftest import make_nir
from tests.live import start_live_server

pytestmark = pytest.mark.both_engines  # also on a real PostgreSQL (tests/conftest.py)

WAIT = 10  # seconds: a bound on a failure, never a measured time


@pytest.fixture
def live(tmp_path, app_database):
    server = start_live_server(tmp_path / "instance", **app_database)
    yield server
    server.stop()


def issue(live, i, slug="chaumont"):
    with live.db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        t = check_in(s, live.vault, site_id=site.id, has_appointment=False, nir=make_nir(i), now=utcnow()).ticket
        s.commit()
    return t


def zone_desk(live, slug="chaumont"):
    with live.db.session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        return site.id, s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == "Espace numérique")).one().id


class Phone:
    def __init__(self, live, public_id):
        self.received: queue.Queue = queue.Queue()
        self.version = -1
        self.client = socketio.Client(reconnection=False)
        self.client.on("snapshot", lambda data: self.received.put(("snapshot", data)), namespace="/ticket")
        self.client.on("event", lambda data: self.received.put(("event", data)), namespace="/ticket")
        self.client.on("disconnect", lambda *a: self.received.put(("disconnect", None)), namespace="/ticket")
        self.client.connect(live.url, namespaces=["/ticket"], auth={"ticket": public_id},
                            transports=["websocket"], wait_timeout=WAIT)

    def next(self):
        """The next message that changes what the page shows: as static/live.js does, an update no newer
        than what the page has (an event dispatched while the snapshot was being read) is skipped."""
        while True:
            kind, data = self.received.get(timeout=WAIT)
            if kind == "event" and data["v"] <= self.version:
                continue
            if data is not None:
                self.version = max(self.version, data["v"])
            return kind, data

    def close(self):
        self.client.disconnect()


def test_a_phone_gets_its_snapshot_then_live_positions_and_its_turn(live):
    first, mine = issue(live, 1), issue(live, 2)
    phone = Phone(live, mine.public_id)
    try:
        kind, snap = phone.next()
        assert kind == "snapshot" and snap["code"] == mine.code and snap["ahead"] == 1
        site_id, desk_id = zone_desk(live)
        with live.db.write_session() as s:
            assert tickets.call_next(s, site_id=site_id, desk_id=desk_id, now=utcnow()).id == first.id
            s.commit()
        kind, update = phone.next()
        assert kind == "event" and update["v"] == snap["v"] + 1 and update["ahead"] == 0
        issue(live, 3, slug="saint-dizier")  # another site's event: not for this phone
        issue(live, 4)  # a newcomer behind: this phone's status does not change, so nothing is sent
        with live.db.write_session() as s:
            called = tickets.call_next(s, site_id=site_id, desk_id=desk_id, now=utcnow())
            s.commit()
        assert called.id == mine.id
        kind, update = phone.next()
        assert update["v"] == snap["v"] + 3 and update["status"] == "called"
        assert update["desk"] == "Espace numérique" and update["ahead"] is None
        text = repr(update)
        assert make_nir(2) not in text and mine.public_id not in text
        assert set(update) == set(snap) == set(PHONE_FIELDS)  # the phone's rule (accueil/audiences.py), every time
        # a resync request answers with a fresh snapshot at the same version
        again = phone.client.call("snapshot", None, namespace="/ticket", timeout=WAIT)
        assert again["v"] == update["v"] and again["status"] == "called"
        # the visit ends: the phone gets its last status, then its socket is closed
        with live.db.write_session() as s:
            tickets.start(s, site_id=site_id, ticket_id=mine.id, now=utcnow())
            tickets.finish(s, site_id=site_id, ticket_id=mine.id, now=utcnow())
            s.commit()
        kind, update = phone.next()
        assert kind == "event" and update["status"] == "done"
        assert phone.next() == ("disconnect", None)
    finally:
        phone.close()


@pytest.mark.parametrize("auth", [{}, {"ticket": "x" * 32}, {"ticket": None}, {"ticket": "<script>"}])
def test_a_connection_without_a_real_ticket_is_refused(live, auth):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(live.url, namespaces=["/ticket"], auth=auth, transports=["websocket"], wait_timeout=WAIT)
    client.disconnect()


def test_the_ticket_page_is_served_live(live):
    t = issue(live, 5)
    page = requests.get(f"{live.url}/ticket/{t.public_id}", timeout=WAIT)
    assert page.status_code == 200 and "/ticket" not in re.findall(r'<script src="([^"]+)"', page.text)[0]
    assert page.headers["Cache-Control"] == "no-store"
    assert "ticket.js" in page.text and "socket.io.min.js" in page.text


def test_a_call_committed_while_a_snapshot_is_read_still_reaches_the_phone(live, monkeypatch):
    """The snapshot reads the ticket, then the site; a call committed in between must not be lost.

    Read the other way round (the ticket, then the version), PostgreSQL's READ COMMITTED gave a
    snapshot « waiting » carrying the call's version, and the phone dropped the call's update as
    already seen. The phone here applies what it gets as static/live.js does (newer versions only).
    """
    from accueil import audiences

    mine = issue(live, 7)
    site_id, desk_id = zone_desk(live)
    original = audiences.ticket_by_public_id
    raced = []

    def read_then_call(session, public_id):
        ticket = original(session, public_id)
        if public_id == mine.public_id and not raced:
            raced.append(True)
            with live.db.write_session() as s:  # another agent calls this ticket right now
                tickets.call_ticket(s, site_id=site_id, ticket_id=mine.id, desk_id=desk_id, now=utcnow())
                s.commit()
        return ticket

    monkeypatch.setattr(audiences, "ticket_by_public_id", read_then_call)
    phone = Phone(live, mine.public_id)
    try:
        seen = {"v": -1, "status": None}
        deadline = WAIT
        while seen["status"] != "called":
            kind, state = phone.received.get(timeout=deadline)
            if kind in ("snapshot", "event") and state["v"] > seen["v"]:
                seen = state
        assert raced and seen["status"] == "called" and seen["desk"] == "Espace numérique"
    finally:
        phone.close()
