"""Over a full day's scenario, nothing a display receives (socket payloads, pages) holds personal data.

Two real display clients (one per site) record every message of the /display namespace;
the pages of the display surface are fetched too. Then every recorded byte is searched
for NIR-like and phone-like patterns, for the exact numbers typed at check-in, and for
every ticket's secret link (public_id); and every payload key must be a public field.
"""
from __future__ import annotations

import json
import re

import requests
from sqlmodel import select

from accueil import tickets
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.identity import normalize_phone
from accueil.models import Queue, Site, Ticket
from tests.conftest import make_nir
from tests.sockets.test_display import Screen, enrolled, site_and_desks

NIR_RE = re.compile(r"(?<![0-9A-Za-z])[1-478](?:[ .]?\d{2}){2}[ .]?(?:\d{2}|2[AB])[ .]?\d{3}[ .]?\d{3}(?:[ .]?\d{2})?(?!\d)",
                    re.I)
LONG_DIGITS_RE = re.compile(r"\d{13,}")
PHONE_RE = re.compile(r"(?<![\d:])0[1-9](?:[ .-]?\d{2}){4}(?!\d)")
INTL_PHONE_RE = re.compile(r"(?:\+|00)\s?33[ .]?\(?0?\)?[1-9](?:[ .-]?\d{2}){4}")

PUBLIC_KEYS = {"v", "from", "site", "tz", "now", "calls", "waiting", "messages", "idle_after", "message_seconds", "id", "text", "link",
               "key", "code", "letter", "place", "kind", "at", "time", "name", "count"}
NIRS = [make_nir(1), make_nir(2, sex=2), make_nir(3), "253072A07300443", "295109912611193", make_nir(4)]
PHONES = ["0612345678", "+33 6 98 76 54 32", "0692 12 34 56", "07.81.22.33.44", "0612345679", None]


def test_the_detectors_find_what_they_look_for():
    for nir in NIRS + ["1 85 05 75 056 001 23", "2 53 07 2A 073 004 43"]:
        assert NIR_RE.search(f"x {nir} y"), nir
    for phone in [p for p in PHONES if p and not p.startswith("+")] + ["06-12-34-56-78"]:
        assert PHONE_RE.search(f"x {phone} y"), phone
    for phone in ("+33 6 98 76 54 32", "+33612345678", "0033 6 12 34 56 78"):
        assert INTL_PHONE_RE.search(phone), phone
    assert not any(r.search('"at": "2026-11-26T09:00:00.123456+00:00", "v": 1234')
                   for r in (NIR_RE, PHONE_RE, INTL_PHONE_RE, LONG_DIGITS_RE))


def keys_of(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_of(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_of(v) for v in value)) if value else set()
    return set()


def scenario(live, slug: str) -> None:
    """Check-ins with NIR and phone, calls, recalls, transfers, no-shows, finishes, a cancel."""
    site_id, desks = site_and_desks(live, slug)
    now = utcnow()
    with live.db.session() as s:
        queues = {q.letter: q.id for q in s.exec(select(Queue).where(Queue.site_id == site_id)).all()}
    ids = []
    for i, (nir, phone) in enumerate(zip(NIRS, PHONES)):
        with live.db.write_session() as s:
            ids.append(check_in(s, live.vault, site_id=site_id, has_appointment=i % 2 == 0, nir=nir, phone=phone,
                                channel="assisted" if i == 5 else "self", now=now).ticket.id)
            s.commit()
    with live.db.write_session() as s:  # a visitor without a number
        check_in(s, live.vault, site_id=site_id, has_appointment=False, nir=None, phone="0601020304", now=now)
        s.commit()
    desk_names = [n for n in desks if n.startswith("Bureau")]
    with live.db.write_session() as s:
        t1 = tickets.call_next(s, site_id=site_id, desk_id=desks[desk_names[0]], now=now)
        t2 = tickets.call_next(s, site_id=site_id, desk_id=desks["Espace numérique"], now=now)
        tickets.recall(s, site_id=site_id, ticket_id=t1.id, now=now)
        s.commit()
    with live.db.write_session() as s:
        tickets.start(s, site_id=site_id, ticket_id=t1.id, now=now)
        tickets.transfer(s, site_id=site_id, ticket_id=t1.id, queue_id=queues["N"], now=now)
        tickets.no_show(s, site_id=site_id, ticket_id=t2.id, now=now)
        s.commit()
    with live.db.write_session() as s:
        t3 = tickets.call_next(s, site_id=site_id, desk_id=desks[desk_names[1]], now=now)
        tickets.start(s, site_id=site_id, ticket_id=t3.id, now=now)
        tickets.finish(s, site_id=site_id, ticket_id=t3.id, now=now)
        t4 = tickets.call_next(s, site_id=site_id, desk_id=desks["Espace numérique"], now=now)
        tickets.transfer(s, site_id=site_id, ticket_id=t4.id, queue_id=queues["R"], now=now)
        s.commit()
    with live.db.write_session() as s:
        waiting = s.exec(select(Ticket).where(Ticket.site_id == site_id, Ticket.status == "waiting")
                         .order_by(Ticket.id)).all()
        tickets.cancel(s, site_id=site_id, ticket_id=waiting[-1].id, now=now)
        t5 = tickets.call_next(s, site_id=site_id, desk_id=desks[desk_names[0]], now=now)
        tickets.recall(s, site_id=site_id, ticket_id=t5.id, now=now)
        tickets.no_show(s, site_id=site_id, ticket_id=t5.id, now=now)
        s.commit()


def test_nothing_a_display_receives_or_is_served_holds_personal_data(live):
    screens = {slug: Screen(live, enrolled(live, slug), site=slug) for slug in ("chaumont", "saint-dizier")}
    pages = []
    try:
        for slug, screen in screens.items():
            screen.wait_for(lambda m: len(m) >= 1)
            scenario(live, slug)
            screen.ask_snapshot()
        for slug, screen in screens.items():
            with live.db.session() as s:
                version = s.exec(select(Site.version).where(Site.slug == slug)).one()
            screen.wait_for(lambda m, v=version: max((d.get("v", -1) for _, d in m if isinstance(d, dict)),
                                                     default=-1) >= v)
            screen.ask_snapshot()
            cookie = {"accueil_device": enrolled(live, slug)}
            for path in (f"/display/{slug}", "/static/display/display/display.js",
                         "/static/display/display/display.css"):
                r = requests.get(live.url + path, cookies=cookie, timeout=10)
                assert r.status_code == 200
                pages.append(r.text)
            r = requests.get(live.url + f"/display/{slug}", timeout=10)
            assert r.status_code == 403
            pages.append(r.text)
    finally:
        for screen in screens.values():
            screen.close()

    payloads = [data for screen in screens.values() for _, data in screen.messages if data is not None]
    # Every event of the day (issued, called, recalled, started, finished, no-show, transferred, cancelled)
    # reached the screens in updates, and every call and recall of both sites was in one, once.
    for screen in screens.values():
        calls = [c["key"] for name, e in screen.messages if name == "event" for c in e["calls"]]
        assert len(calls) == len(set(calls)) == 7
    assert keys_of(payloads) <= PUBLIC_KEYS

    with live.db.session() as s:
        public_ids = [t.public_id for t in s.exec(select(Ticket)).all()]
    assert len(public_ids) == 14
    typed_phones = [p for p in PHONES if p] + [normalize_phone(p) for p in PHONES if p]
    everything = [json.dumps(p, ensure_ascii=False) for p in payloads] + pages
    for text in everything:
        assert not NIR_RE.search(text), NIR_RE.search(text).group(0)
        assert not LONG_DIGITS_RE.search(text)
        assert not PHONE_RE.search(text), PHONE_RE.search(text).group(0)
        assert not INTL_PHONE_RE.search(text), INTL_PHONE_RE.search(text).group(0)
        for secret in public_ids + NIRS + [n[:13] for n in NIRS] + typed_phones:
            assert secret not in text
