"""Web Push end to end: the page's subscription, the outbox, pywebpush, and a push service that checks the
VAPID signature and decrypts the payload with the browser's keys (tests/push_service.py)."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text
from sqlmodel import select

from accueil import notices, tickets
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.models import Desk, PushSubscription, Site, Ticket
from accueil.push_subscriptions import public_address, public_host
from tests.conftest import make_nir, table_counts
from tests.live import demo_app
from tests.outbox import drain, notices_of
from tests.push_service import PushService
from tests.web.test_console import Console

pytestmark = pytest.mark.both_engines


@pytest.fixture
def service():
    s = PushService()
    yield s
    s.stop()


@pytest.fixture
def app(tmp_path, app_database, service):
    app = demo_app(tmp_path / "instance", RATELIMIT_ENABLED=False, TESTING=True, PUSH_ALLOWED_HOSTS=("127.0.0.1",),
                   PUSH_CA_BUNDLE=service.ca, **app_database)
    yield app
    app.extensions["accueil.sender"].stop()
    app.extensions["accueil.db"].dispose()


def ticket_page(app, i=1, phone=None):
    """A visitor's ticket (no SMS unless *phone*), its page open in a test client: (ticket, client, token)."""
    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        t = check_in(s, vault, site_id=site.id, has_appointment=True, nir=make_nir(i), phone=phone, locale="en",
                     now=utcnow()).ticket
        s.commit()
    client = app.test_client()
    page = client.get(f"/ticket/{t.public_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert 'id="push-box"' in page and f'data-key="{app.extensions["accueil.push_key"]}"' in page
    return t, client, token


def subscribe(client, t, token, body):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(f"/ticket/{t.public_id}/push", data=data, headers={"X-CSRFToken": token,
                                                                          "Content-Type": "application/json"})


def call(app, t, desk_name="Bureau 1"):
    db = app.extensions["accueil.db"]
    with db.write_session() as s:
        desk = s.exec(select(Desk).where(Desk.site_id == t.site_id, Desk.name == desk_name)).one()
        tickets.call_ticket(s, site_id=t.site_id, ticket_id=t.id, desk_id=desk.id, now=utcnow())
        s.commit()






def test_a_subscribed_browser_is_told_of_its_call_signed_and_encrypted(app, service):
    t, client, token = ticket_page(app)
    sid, body = service.subscription()
    r = subscribe(client, t, token, body)
    assert r.status_code == 200 and r.json["ok"] is True
    db = app.extensions["accueil.db"]
    with db.session() as s:
        assert s.get(Ticket, t.id).reach == notices.PUSH
        [stored] = s.exec(select(PushSubscription)).all()
        raw = s.execute(text("SELECT data_enc FROM pushsubscription")).scalar_one()
    assert stored.ticket_id == t.id and sid.encode() not in bytes(raw)  # kept encrypted
    call(app, t)
    assert drain(app.extensions["accueil.sender"], lambda: len(service.received) == 1)
    [got] = service.received
    assert got["subscription"] == sid and got["vapid_key"] == app.extensions["accueil.push_key"]
    assert got["payload"] == {"title": "It's your turn", "url": f"/ticket/{t.public_id}", "tag": f"ticket-{t.id}",
                              "body": f"Ticket {t.code}: it is your turn. Go to: Bureau 1 (Rez-de-chaussée, à gauche)."}
    assert got["ttl"] == 600 and [n.status for n in notices_of(app)] == ["sent"]
    assert service.refused == []


def test_a_gone_subscription_fails_for_good_a_busy_service_is_tried_again(app, service):
    t1, client1, token1 = ticket_page(app, 1)
    t2, client2, token2 = ticket_page(app, 2)
    gone, body1 = service.subscription()
    busy, body2 = service.subscription()
    service.answers = {gone: [410], busy: [429, 503]}
    assert subscribe(client1, t1, token1, body1).status_code == 200
    assert subscribe(client2, t2, token2, body2).status_code == 200
    call(app, t1, "Bureau 1")
    call(app, t2, "Bureau 2")
    assert drain(app.extensions["accueil.sender"], lambda: {n.status for n in notices_of(app)} == {"sent", "failed"}, rounds=80)
    by_ticket = {n.ticket_id: n for n in notices_of(app)}
    assert (by_ticket[t1.id].status, by_ticket[t1.id].reason, by_ticket[t1.id].attempts) == (
        "failed", "subscription gone (410)", 1)
    assert by_ticket[t2.id].status == "sent" and by_ticket[t2.id].attempts == 3
    assert [r["subscription"] for r in service.received] == [busy]


def test_a_visitor_with_a_phone_and_a_subscription_gets_both(app, service):
    t, client, token = ticket_page(app, 3, phone="06 12 34 56 78")
    assert subscribe(client, t, token, service.subscription()[1]).status_code == 200
    page = Console(app, "superviseur.chaumont").get("/agent/").get_data(as_text=True)
    row = page[page.index(f'data-code="{t.code}"'):][:2000]
    assert re.search(r'<span class="reach"><svg[^>]*>.*?</svg>SMS et notification</span>', row)  # what the agents see
    call(app, t)
    assert sorted(n.channel for n in notices_of(app)) == ["push", "sms"]  # the SMS goes to the log (demo)
    assert drain(app.extensions["accueil.sender"], lambda: {n.status for n in notices_of(app)} == {"sent"})


BAD = {
    "not JSON": b"{endpoint: nope",
    "too large": json.dumps({"endpoint": "https://push.example.com/" + "a" * 5000, "keys": {}}),
    "plain http": {"endpoint": "http://push.example.com/x"},
    "loopback": {"endpoint": "https://127.0.0.2/x"},
    "private network": {"endpoint": "https://10.1.2.3/x"},
    "IPv6 loopback": {"endpoint": "https://[::1]/x"},
    "cloud metadata": {"endpoint": "https://169.254.169.254/latest"},
    "localhost": {"endpoint": "https://localhost/x"},
    "a name of the office": {"endpoint": "https://printer.local/x"},
    "credentials in the URL": {"endpoint": "https://user:pw@push.example.com/x"},
    "no keys": {"endpoint": "https://push.example.com/x"},
    "a NUL byte": {"endpoint": "https://push.example.com/\x00"},
    "a key of another curve": {"endpoint": "https://push.example.com/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}},
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_subscription_gets_a_400_and_stores_nothing(app, service, case):
    t, client, token = ticket_page(app)
    body = BAD[case]
    if isinstance(body, dict) and "keys" not in body and case != "no keys":
        body = body | {"keys": service.subscription()[1]["keys"]}
    before = table_counts(app.extensions["accueil.db"])
    r = subscribe(client, t, token, body)
    assert r.status_code == 400 and r.json["message"] == "Ce téléphone n'a pas pu s'abonner aux notifications. Réessayez."
    assert table_counts(app.extensions["accueil.db"]) == before


def test_a_subscription_needs_the_page_s_token_and_a_live_ticket(app, service):
    t, client, token = ticket_page(app)
    body = service.subscription()[1]
    before = table_counts(app.extensions["accueil.db"])
    assert subscribe(client, t, "forged", body).status_code == 400
    assert client.post("/ticket/" + "x" * 30 + "/push", data=json.dumps(body),
                       headers={"X-CSRFToken": token}).status_code == 404
    assert table_counts(app.extensions["accueil.db"]) == before
    with app.extensions["accueil.db"].write_session() as s:
        tickets.cancel(s, site_id=t.site_id, ticket_id=t.id, now=utcnow())
        s.commit()
    assert subscribe(client, t, token, body).status_code == 409


@pytest.mark.parametrize("address, public", [("8.8.8.8", True), ("2a00:1450:4007:80e::200e", True),
                                             ("127.0.0.1", False), ("10.0.0.1", False), ("192.168.1.10", False),
                                             ("169.254.169.254", False), ("::1", False), ("fe80::1%eth0", False),
                                             ("100.64.0.1", False), ("not an address", False)])
def test_only_public_addresses_are_pushed_to(address, public):
    assert public_address(address) is public


def test_a_push_host_is_a_public_name_or_address():
    assert public_host("push.example.com") and not public_host("localhost") and not public_host("10.0.0.1")
