"""SMS to visitors against a real SMSC (tests/smsc/smsc.js, SMPP 3.4 by the npm `smpp` package's server).

The sender is driven round by round (``run_once``) on the app's database, on both engines;
the SMSC reports the submit_sm PDUs as the operator receives them.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from sqlmodel import select

from accueil import tickets
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.models import Desk, Notice, Site
from notify.sender import Sender
from notify.sms import SmppLink
from tests.conftest import make_nir, set_daytime_zone
from tests.outbox import drain, notices_of
from tests.smsc_server import PASSWORD, ROOT, SYSTEM_ID, Smsc, settings

pytestmark = pytest.mark.both_engines


@pytest.fixture
def smsc():
    server = Smsc()
    yield server
    server.stop()


def sender_for(app, port, **kw) -> Sender:
    ext = app.extensions
    return Sender(app, ext["accueil.db"], ext["accueil.vault"], SmppLink(settings(port, **kw)))


def chaumont(db):
    with db.session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        desk = s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == "Bureau 1")).one()
    return site.id, desk.id


def called(app, i, phone="06 12 34 56 78", locale="fr"):
    """Check person *i* in with *phone*, call them to Bureau 1, then serve them (the desk is free again)."""
    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    site_id, desk_id = chaumont(db)
    with db.write_session() as s:
        t = check_in(s, vault, site_id=site_id, has_appointment=True, nir=make_nir(i), phone=phone, locale=locale,
                     now=utcnow()).ticket
        s.commit()
    with db.write_session() as s:
        tickets.call_ticket(s, site_id=site_id, ticket_id=t.id, desk_id=desk_id, now=utcnow())
        s.commit()
    with db.write_session() as s:  # the visitor came and was seen: the desk may call the next one
        tickets.start(s, site_id=site_id, ticket_id=t.id, now=utcnow())
        tickets.finish(s, site_id=site_id, ticket_id=t.id, now=utcnow())
        s.commit()
    return t






def test_a_call_reaches_the_operator_as_the_phone_will_show_it(app, smsc):
    ticket = called(app, 1)
    # The visitor came already (start): the message is no longer true and is not sent.
    sender = sender_for(app, smsc.port)
    sender.run_once()
    assert smsc.submits() == [] and notices_of(app)[0].status == "dropped"

    db = app.extensions["accueil.db"]
    site_id, desk_id = chaumont(db)
    with db.write_session() as s:
        t = check_in(s, app.extensions["accueil.vault"], site_id=site_id, has_appointment=True, nir=make_nir(2),
                     phone="+33 6 98 76 54 32", now=utcnow()).ticket
        tickets.call_ticket(s, site_id=site_id, ticket_id=t.id, desk_id=desk_id, now=utcnow())
        s.commit()
    assert drain(sender, lambda: len(smsc.submits()) == 1)
    [pdu] = smsc.submits()
    assert pdu["destination_addr"] == "33698765432" and (pdu["dest_addr_ton"], pdu["dest_addr_npi"]) == (1, 1)
    assert pdu["source_addr"] == "CAF52" and pdu["source_addr_ton"] == 5  # alphanumeric sender id
    assert pdu["data_coding"] == 0 and pdu["udh"] == []  # GSM-7, one part
    assert pdu["text"] == f"Ticket {t.code} : c'est votre tour. Allez à : Bureau 1 (Rez-de-chaussée, à gauche)."
    assert make_nir(2) not in repr(smsc.records) and ticket.code not in repr(smsc.records)
    assert [n.status for n in notices_of(app)] == ["dropped", "sent"]
    sender.stop()


def test_a_long_message_is_cut_in_parts_the_phone_rejoins(app, smsc):
    db = app.extensions["accueil.db"]
    site_id, desk_id = chaumont(db)
    with db.write_session() as s:
        s.get(Desk, desk_id).directions = "Deuxième étage, couloir B, troisième porte à droite après l'ascenseur [€]"
        s.commit()
    with db.write_session() as s:
        t = check_in(s, app.extensions["accueil.vault"], site_id=site_id, has_appointment=True, nir=make_nir(3),
                     phone="0692 12 34 56", locale="ar", now=utcnow()).ticket
        tickets.call_ticket(s, site_id=site_id, ticket_id=t.id, desk_id=desk_id, now=utcnow())
        tickets.recall(s, site_id=site_id, ticket_id=t.id, now=utcnow())
        s.commit()
    sender = sender_for(app, smsc.port)
    assert drain(sender, lambda: any(n.status == "sent" for n in notices_of(app)))
    first, recall = notices_of(app)
    assert (first.status, first.reason, recall.status) == ("dropped", "called again since", "sent")
    assert smsc.wait_for(lambda m: len(m.messages()) == 1)  # every part reported
    parts = smsc.submits()
    assert len(parts) >= 2 and {p["data_coding"] for p in parts} == {8}  # Arabic: UCS-2
    assert all(p["destination_addr"] == "262692123456" for p in parts)  # La Réunion, international format
    # Each part's header (as the SMSC reads it: element 00, length 3, reference, parts, this part's rank).
    headers = [bytes.fromhex(p["udh"][0]) for p in parts]
    assert {h[:4] for h in headers} == {bytes([0, 3, headers[0][2], len(parts)])}
    assert [h[4] for h in headers] == list(range(1, len(parts) + 1))
    [text] = smsc.messages()
    assert text == "".join(p["text"] for p in parts) and text.startswith("النداء رقم 2.")
    assert t.code in text and "Deuxième étage" in text and text.endswith(".")
    sender.stop()


def test_a_gsm_message_in_parts_never_cuts_an_escaped_character():
    from notify.sms import GSM7, encode

    text = "R007 " + "€" * 80 + " fin"  # € takes two septets: a cut between them would show garbage
    encoded = encode(text, reference=7)
    assert encoded.data_coding == GSM7 and len(encoded.parts) == 2
    for part in encoded.parts:
        body = part[6:]
        assert len(body) <= 153 and not body.endswith(b"\x1b") and not body.startswith(b"\x65")


def test_throttling_delays_a_refused_number_fails_for_good(app, tmp_path):
    smsc = Smsc(throttle=2, reject="33611111111")
    try:
        called_ok = called_in_queue(app, 4, "06 22 22 22 22")
        called_bad = called_in_queue(app, 5, "06 11 11 11 11")
        sender = sender_for(app, smsc.port)
        assert drain(sender, lambda: {n.status for n in notices_of(app)} <= {"sent", "failed"}, rounds=60)
        assert smsc.wait_for(lambda m: len(m.submits()) == 4)  # two throttled, one taken, one refused
        by_ticket = {n.ticket_id: n for n in notices_of(app)}
        ok, bad = by_ticket[called_ok.id], by_ticket[called_bad.id]
        assert ok.status == "sent" and bad.status == "failed" and "0x0000000B" in bad.reason
        refused = [p for p in smsc.submits() if p["destination_addr"] == "33611111111"]
        throttled = [p for p in smsc.submits() if p["status"] == 0x58]
        assert len(throttled) == 2
        assert len([p for p in refused if p["status"] == 0x0B]) == 1  # never tried again
        sender.stop()
    finally:
        smsc.stop()


def called_in_queue(app, i, phone, absent=False):
    """Check *i* in and call them to a desk of their own, leaving them called (the call's message stays
    true); *absent*: they did not come (the desk is free, the no-show message is due)."""
    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    site_id, _desk = chaumont(db)
    with db.write_session() as s:
        desk = s.exec(select(Desk).where(Desk.site_id == site_id, Desk.name == f"Bureau {1 + i % 3}")).one()
        t = check_in(s, vault, site_id=site_id, has_appointment=True, nir=make_nir(i), phone=phone,
                     now=utcnow()).ticket
        tickets.call_ticket(s, site_id=site_id, ticket_id=t.id, desk_id=desk.id, now=utcnow())
        if absent:
            tickets.no_show(s, site_id=site_id, ticket_id=t.id, now=utcnow())
        s.commit()
    return t


def test_an_smsc_down_delays_messages_and_never_blocks_a_call(app):
    smsc = Smsc()
    port = smsc.port
    smsc.stop()  # the SMSC is down
    sender = sender_for(app, port)
    started = time.monotonic()
    t = called_in_queue(app, 6, "06 33 33 33 33")  # the call itself does not wait for the SMSC
    sender.run_once()
    assert time.monotonic() - started < 10
    [notice] = notices_of(app)
    assert notice.status == "pending" and "unreachable" in notice.reason and notice.attempts == 1
    smsc = Smsc(port=port)  # back, on the same port
    try:
        with app.extensions["accueil.db"].write_session() as s:  # skip the back-off's wait
            s.get(Notice, notice.id).next_at = utcnow()
            s.commit()
        assert drain(sender, lambda: notices_of(app)[0].status == "sent")
        assert smsc.wait_for(lambda m: len(m.submits()) == 1)  # the SMSC's report may follow its answer
        assert [p["destination_addr"] for p in smsc.submits()] == ["33633333333"]
        assert t.code in smsc.submits()[0]["text"]
    finally:
        sender.stop()
        smsc.stop()


def test_a_sender_killed_mid_batch_loses_no_message(app, app_database, tmp_path):
    """`accueil notify run` as its own process, SIGKILLed while the SMSC is slow; a second one finishes."""
    smsc = Smsc(delay_ms=150)
    count = 12
    try:
        for i in range(count):
            called_in_queue(app, 10 + i, f"06 44 44 44 {10 + i:02d}", absent=True)
        instance = tmp_path / "instance"
        env = {**os.environ, "ACCUEIL_INSTANCE": str(instance), "ACCUEIL_SMS": "smpp", "SMPP_HOST": "127.0.0.1",
               "SMPP_PORT": str(smsc.port), "SMPP_SYSTEM_ID": SYSTEM_ID, "SMPP_PASSWORD": PASSWORD,
               "SMPP_SENDER": "CAF52", "SMPP_RATE": "100"}
        if app_database.get("DATABASE_URL"):
            env["DATABASE_URL"] = app_database["DATABASE_URL"]
        command = [sys.executable, "-c", "from commands import cli; cli()", "notify", "run"]
        first = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert smsc.wait_for(lambda s: len(s.submits()) >= 3, timeout=30)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        due = lambda: [n for n in notices_of(app) if n.kind == "no_show"]  # noqa: E731 - the calls' are dropped
        assert len(due()) == count and len([n for n in due() if n.status == "sent"]) < count  # killed mid-way
        with app.extensions["accueil.db"].write_session() as s:  # the dead sender's lease ends now
            for n in s.exec(select(Notice).where(Notice.status == "pending")).all():
                n.claimed_until = utcnow()
            s.commit()
        second = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(n.status != "sent" for n in due()):
                time.sleep(0.25)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        assert [n.status for n in due()] == ["sent"] * count
        assert smsc.wait_for(lambda m: len({p["destination_addr"] for p in m.submits(accepted_only=True)}) == count)
        reached = {p["destination_addr"] for p in smsc.submits(accepted_only=True)}
        assert reached == {f"336444444{10 + i:02d}" for i in range(count)}  # every visitor, at least once
        # At most the message in flight at the kill went twice (README: what can still be sent twice).
        assert len(smsc.submits(accepted_only=True)) - count <= 1
    finally:
        smsc.stop()


def test_agents_see_who_gets_an_sms_and_what_was_not_delivered(app):
    from tests.web.test_console import Console

    smsc = Smsc(reject="33655555555")
    try:
        called_in_queue(app, 30, "06 66 66 66 66")  # reached: the SMS of the day
        bad = called_in_queue(app, 31, "06 55 55 55 55")
        db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
        site_id, _desk = chaumont(db)
        with db.write_session() as s:  # one more who said « Pas de SMS », waiting
            quiet = check_in(s, vault, site_id=site_id, has_appointment=True, nir=make_nir(32), phone="0677777777",
                             sms=False, now=utcnow()).ticket
            s.commit()
        sender = sender_for(app, smsc.port)
        assert drain(sender, lambda: {n.status for n in notices_of(app)} == {"sent", "failed"})
        sender.stop()
        agent = Console(app, "agent.chaumont")
        with db.session() as s:  # the agent sits at the desk that called the visitor the SMSC refused
            desk = s.exec(select(Desk).where(Desk.site_id == site_id, Desk.name == "Bureau 2")).one()
        assert agent.post("/agent/desk", desk_id=desk.id).status_code == 200
        page = agent.get("/agent/").get_data(as_text=True)
        waiting_row = page[page.index(f'data-code="{quiet.code}"'):][:3000]
        assert re.search(r'<span class="reach"><svg[^>]*>.*?</svg>Pas de SMS</span>', waiting_row)  # the row's words
        hand = page[page.index('id="hand-title"'):page.index('id="region-queues"')]
        assert bad.code in hand and "Prévenu par SMS" in hand
        assert "Message non remis : Invalid Destination Address (0x0000000B)" in hand
        assert page.count("Message non remis") == 1  # the visitor reached by SMS has no such flag
        supervision = Console(app, "superviseur.chaumont").get("/agent/supervision").get_data(as_text=True)
        assert re.search(r'id="sup-sms-today">[^<]*<strong>1</strong>', supervision)
        assert re.search(r'id="sup-failed" class="sup-alert">[^<]*<strong>1</strong>', supervision)
        assert re.search(r'id="sup-pending">[^<]*<strong>0</strong>', supervision)
    finally:
        smsc.stop()


def test_the_embedded_default_sends_from_its_one_process_to_the_log_number_masked(tmp_path, app_database, caplog):
    """`make run`'s set-up: NOTIFY=thread, ACCUEIL_SMS=log; the first event starts the sender."""
    import logging

    from tests.live import start_live_server

    caplog.set_level(logging.INFO, logger="notify.sender")
    live = start_live_server(tmp_path / "live", NOTIFY="thread", SMS_TRANSPORT="log", **app_database)
    try:
        t = called_in_queue(live.app, 40, "06 12 34 56 78")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any("SMS to" in r.getMessage() for r in caplog.records):
            time.sleep(0.1)
        [line] = [r.getMessage() for r in caplog.records if "SMS to" in r.getMessage()]
        assert line.startswith("SMS to 06 •• •• •• 78: ") and "12 34 56" not in line and line.endswith(
            f"Ticket {t.code} : c'est votre tour. Allez à : Bureau 2 (Rez-de-chaussée, à droite).")
        assert [n.status for n in notices_of(live.app)] == ["sent"]
    finally:
        live.stop()


def test_soon_goes_by_sms_once_the_visitor_nears_their_turn(app, smsc):
    from datetime import timedelta

    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    site_id, _desk = chaumont(db)
    set_daytime_zone(db, site_id)  # a few minutes ago must be today on the site's clock (CI runs at night)
    with db.write_session() as s:  # arrived a few minutes ago, two people before them
        people = [check_in(s, vault, site_id=site_id, has_appointment=True, nir=make_nir(50 + i),
                           phone=f"06 77 77 77 {i:02d}", now=utcnow() - timedelta(minutes=5 - i)).ticket
                  for i in range(4)]
        s.commit()
    sender = sender_for(app, smsc.port)
    assert drain(sender, lambda: len(smsc.submits()) == 3)
    sender.run_once()
    assert not smsc.wait_for(lambda m: len(m.submits()) > 3, timeout=1)  # once each
    texts = sorted(p["text"] for p in smsc.submits())
    assert texts == [f"Ticket {t.code} : votre tour arrive. Restez près de la salle d'attente." for t in people[:3]]
    assert {p["data_coding"] for p in smsc.submits()} == {0}  # GSM-7: one SMS each
    sender.stop()


def test_a_list_of_documents_reaches_the_visitor_by_sms_with_its_link_and_the_log_hides_it(app, smsc, caplog):
    import logging

    from accueil import documents
    from notify.sender import LogSms

    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    site_id, desk_id = chaumont(db)
    with db.write_session() as s:
        t = check_in(s, vault, site_id=site_id, has_appointment=True, nir=make_nir(70), phone="06 12 34 56 78",
                     now=utcnow()).ticket
        s.commit()
    with db.write_session() as s:
        request = documents.read_request(["rib"], {}, "", offered=list(documents.CATALOGUE), today=t.service_day)
        checklist = documents.give(s, site_id=site_id, ticket_id=t.id, request=request, now=utcnow(),
                                   link=lambda secret: f"https://accueil.example.fr/pieces/{secret}")
        s.commit()
    sender = sender_for(app, smsc.port)
    assert drain(sender, lambda: len(smsc.submits()) == 1)
    [pdu] = smsc.submits()
    assert pdu["text"] == (f"Ticket {t.code} : voici la liste des papiers à fournir. "
                           f"https://accueil.example.fr/pieces/{checklist.secret}")
    sender.stop()
    caplog.set_level(logging.INFO, logger="notify.sender")
    LogSms().send("+33612345678", pdu["text"])
    [line] = [r.getMessage() for r in caplog.records if "SMS to" in r.getMessage()]
    assert checklist.secret not in line and line.endswith("https://accueil.example.fr/pieces/…")
