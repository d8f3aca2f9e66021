"""Who may hold a live socket, and how many: real Socket.IO and raw websocket clients against a real server."""
from __future__ import annotations

import logging
import time

import pytest
import requests
import socketio
import websocket
from sqlmodel import select

from accueil import tickets
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.models import Desk, Site
from tests.conftest import make_nir
from tests.live import start_live_server
from web.realtime import PER_PARTY, SNAPSHOT_BURST

WAIT = 10


@pytest.fixture
def live(tmp_path, app_database):
    server = start_live_server(tmp_path / "instance", SOCKETS_PER_ADDRESS=12, LIVE_JOIN_WITHIN=1.0,
                               **app_database)
    yield server
    server.stop()


@pytest.fixture
def patient(tmp_path, app_database):
    """The same server, whose transports may wait 30 s to join: a test of the address's share that opens a dozen
    sockets one after the other is not raced by the join delay on a loaded machine (seen: the first ones closed
    before the thirteenth, which then passed)."""
    server = start_live_server(tmp_path / "instance", SOCKETS_PER_ADDRESS=12, LIVE_JOIN_WITHIN=30.0,
                               **app_database)
    yield server
    server.stop()


def issue(live, i: int):
    with live.db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        ticket = check_in(s, live.vault, site_id=site.id, has_appointment=False, nir=make_nir(i), now=utcnow()).ticket
        s.commit()
    return ticket


def phone(live, link: str) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(live.url, namespaces=["/ticket"], auth={"ticket": link}, transports=["websocket"],
                   wait_timeout=WAIT)
    return client


def raw(live) -> websocket.WebSocket:
    """A bare Engine.IO websocket, as a flood would open: it never joins a namespace."""
    ws = websocket.create_connection(live.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
                                     timeout=WAIT)
    assert ws.recv().startswith("0{")  # the transport's open packet
    return ws


def gate(live):
    return live.app.extensions["accueil.gate"]


@pytest.mark.parametrize("namespace", ["/", "/admin", "/ticket"])
def test_the_default_and_unknown_namespaces_and_a_missing_ticket_are_refused(live, namespace):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(live.url, namespaces=[namespace], transports=["websocket"], wait_timeout=WAIT)
    client.disconnect()


def test_a_transport_that_joins_no_namespace_is_closed(live):
    ws = raw(live)
    assert gate(live).open_count() == 1
    deadline = time.monotonic() + WAIT
    while gate(live).open_count() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gate(live).open_count() == 0  # closed by the server within its join delay (1 s here)
    with pytest.raises(Exception):
        for _ in range(5):  # a ping at most, then the closed socket
            ws.recv()
    ws.close()


def test_one_address_holds_at_most_its_share_and_http_still_answers(patient):
    live = patient
    held = [raw(live) for _ in range(12)]
    try:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            raw(live)
        assert refused.value.status_code == 401
        assert requests.get(live.url + "/healthz", timeout=WAIT).status_code == 200
        held.pop().close()
        deadline = time.monotonic() + WAIT
        while gate(live).open_count() > 11 and time.monotonic() < deadline:
            time.sleep(0.05)
        held.append(raw(live))  # a place freed: the address may connect again
    finally:
        for ws in held:
            ws.close()


def test_a_ticket_holds_a_few_sockets_and_an_ended_ticket_none(live):
    ticket = issue(live, 1)
    clients = [phone(live, ticket.public_id) for _ in range(PER_PARTY)]
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            phone(live, ticket.public_id)
        other = phone(live, issue(live, 2).public_id)  # another ticket is another party
        other.disconnect()
    finally:
        for client in clients:
            client.disconnect()
    with live.db.write_session() as s:
        site_id = s.exec(select(Site.id).where(Site.slug == "chaumont")).one()
        tickets.cancel(s, site_id=site_id, ticket_id=ticket.id, now=utcnow())
        s.commit()
    with pytest.raises(socketio.exceptions.ConnectionError):
        phone(live, ticket.public_id)


def test_snapshots_are_limited_per_connection_and_per_ticket(live):
    ticket = issue(live, 3)
    one, two = phone(live, ticket.public_id), phone(live, ticket.public_id)
    try:
        answers = [one.call("snapshot", None, namespace="/ticket", timeout=WAIT) for _ in range(SNAPSHOT_BURST + 3)]
        assert all(a and a["code"] == ticket.code for a in answers[:SNAPSHOT_BURST])
        assert answers[SNAPSHOT_BURST:] == [None] * 3
        # Another connection of the same ticket shares the ticket's allowance, spent by the first one.
        assert two.call("snapshot", None, namespace="/ticket", timeout=WAIT) is None
        other = phone(live, issue(live, 4).public_id)
        assert other.call("snapshot", None, namespace="/ticket", timeout=WAIT)["code"] != ticket.code
        other.disconnect()
    finally:
        one.disconnect()
        two.disconnect()


def test_malformed_packets_are_one_warning_and_close_the_connection(live, caplog):
    caplog.set_level(logging.INFO)
    ws = raw(live)
    for junk in ["4zzz", "42/ticket,[", "49", "42[\"x\"", "41/nope,"]:
        try:
            ws.send(junk)
        except websocket.WebSocketException:
            break
    deadline = time.monotonic() + WAIT
    while gate(live).open_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gate(live).open_count() == 0
    ws.close()
    mine = [r for r in caplog.records if r.name in ("web.realtime", "engineio.server", "socketio.server")]
    assert [r.levelname for r in mine] == ["WARNING"], [r.getMessage() for r in mine]
    assert not any(r.exc_info for r in caplog.records)


def test_a_new_password_closes_the_agents_open_consoles(live):
    from tests.web.test_console_sockets import Agent, signed_in

    console = Agent(live, signed_in(live, "agent.chaumont"))
    console.wait_for(lambda n, d: n == "snapshot")
    sup = signed_in(live, "superviseur.chaumont")
    with live.db.session() as s:
        from accueil.models import Agent as AgentRow

        agent_id = s.exec(select(AgentRow.id).where(AgentRow.login == "agent.chaumont")).one()
    r = sup.post(live.url + f"/agent/configuration/agents/{agent_id}/password", allow_redirects=False,
                 data={"password": "un nouveau mot de passe"})
    assert r.status_code == 303
    # At once: this client never asks anything, so only the server's push can close it.
    console.wait_for(lambda n, d: n == "disconnect")


def test_the_end_of_a_visit_closes_the_phones_socket_at_once(live):
    ticket = issue(live, 5)
    client = phone(live, ticket.public_id)
    gone = []
    client.on("disconnect", lambda *a: gone.append(time.monotonic()), namespace="/ticket")
    with live.db.write_session() as s:
        site_id = s.exec(select(Site.id).where(Site.slug == "chaumont")).one()
        desk = s.exec(select(Desk).where(Desk.site_id == site_id, Desk.name == "Espace numérique")).one()
        tickets.call_ticket(s, site_id=site_id, ticket_id=ticket.id, desk_id=desk.id, now=utcnow())
        tickets.no_show(s, site_id=site_id, ticket_id=ticket.id, now=utcnow())
        s.commit()
    deadline = time.monotonic() + WAIT
    while not gone and time.monotonic() < deadline:  # the phone asks nothing: only the server can close it
        time.sleep(0.02)
    assert gone
