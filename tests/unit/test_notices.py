"""Messages to visitors: when each is due, once only, in the transaction that caused it; the outbox's claims."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from accueil import notices, site_state, tickets
from accueil.checkin import check_in
from accueil.models import Notice, Site
from tests.conftest import NOW, act, make_nir, run_threads


def checked_in(db, vault, office, i, *, phone="06 12 34 56 78", sms=True, locale="fr", now=NOW, appointment=True):
    with db.write_session() as s:
        t = check_in(s, vault, site_id=office.site_id, has_appointment=appointment, nir=make_nir(i),
                     phone=phone, sms=sms, locale=locale, now=now).ticket
        s.commit()
    return t


def rows(db) -> list[Notice]:
    with db.session() as s:
        return list(s.exec(select(Notice).order_by(Notice.id)).all())


def test_a_call_writes_its_message_with_the_call_and_only_then(database, vault, office):
    t = checked_in(database, vault, office, 1, locale="ar")
    assert t.reach == notices.SMS and rows(database) == []  # check-in itself says nothing
    with database.write_session() as s:  # a call rolled back leaves no message
        tickets.call_next(s, site_id=office.site_id, desk_id=office.desk1, now=NOW)
        s.rollback()
    assert rows(database) == []
    act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
    [call] = rows(database)
    assert (call.kind, call.round, call.channel, call.code, call.desk, call.locale, call.status) == (
        "call", 0, "sms", t.code, "Bureau 1", "ar", "pending")
    act(database, tickets.recall, site_id=office.site_id, ticket_id=t.id)
    act(database, tickets.no_show, site_id=office.site_id, ticket_id=t.id)
    assert [(n.kind, n.round) for n in rows(database)] == [("call", 0), ("call", 1), ("no_show", 0)]
    assert all(make_nir(1) not in repr(n) and "612345678" not in repr(n) for n in rows(database))


def test_no_message_without_a_way_to_reach_the_visitor(database, vault, office):
    quiet = [checked_in(database, vault, office, 1, phone=None), checked_in(database, vault, office, 2, sms=False)]
    assert [t.reach for t in quiet] == [0, 0]
    for _ in quiet:
        t = act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
        act(database, tickets.no_show, site_id=office.site_id, ticket_id=t.id)
    assert rows(database) == []


def test_the_no_show_message_follows_the_sites_choice(database, vault, office):
    with database.write_session() as s:
        s.get(Site, office.site_id).notify_no_show = False
        s.commit()
    t = checked_in(database, vault, office, 1)
    act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
    act(database, tickets.no_show, site_id=office.site_id, ticket_id=t.id)
    assert [n.kind for n in rows(database)] == ["call"]


def soon(db, now):
    """One look at the office's state, as the sender takes it."""
    with db.write_session() as s:
        site = s.exec(select(Site)).one()
        state = site_state.read(s, site.id, now=now)
        n = notices.enqueue_soon(s, notices.soon_due_tickets(s, site, state, now), now)
        s.commit()
    return n


def test_soon_goes_once_to_those_within_the_threshold_after_the_first_minutes(database, vault, office):
    people = [checked_in(database, vault, office, i, now=NOW + timedelta(seconds=i)) for i in range(5)]
    assert soon(database, NOW + timedelta(minutes=1)) == 0  # they are reading their page
    later = NOW + timedelta(minutes=3)
    soon(database, later)
    # Default threshold: 2 people or fewer before you (no desk open: no estimate).
    assert sorted(n.ticket_id for n in rows(database)) == [t.id for t in people[:3]]
    soon(database, later)
    assert len(rows(database)) == 3  # once per ticket, however often it is looked at
    act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1, now=later)
    soon(database, later)
    assert sorted(n.ticket_id for n in rows(database) if n.kind == "soon") == [t.id for t in people[:4]]


def test_soon_is_written_once_when_two_senders_see_it_together(database, engines, vault, office):
    """Four senders (processes) read the same state, all find « bientôt » owed, then all write it."""
    for i in range(3):
        checked_in(database, vault, office, i)
    at = NOW + timedelta(minutes=5)
    read_all = threading.Barrier(4)

    def sweep(i):
        db = engines[i]
        with db.session() as s:  # as the sender: a read first…
            site = s.get(Site, office.site_id)
            due = notices.soon_due_tickets(s, site, site_state.read(s, site.id, now=at), at)
        assert len(due) == 3
        read_all.wait()  # …every sender has seen the same three before any writes
        with db.write_session() as s:
            notices.enqueue_soon(s, due, at)
            s.commit()

    run_threads(4, sweep)
    assert len(rows(database)) == 3 and len({n.ticket_id for n in rows(database)}) == 3


def test_each_message_is_claimed_by_one_sender(database, engines, vault, office):
    for i in range(30):
        checked_in(database, vault, office, i, now=NOW)
    with database.write_session() as s:
        state = site_state.read(s, office.site_id, now=NOW + timedelta(minutes=5))
        site = s.get(Site, office.site_id)
        site.notify_soon_people = 100
        notices.enqueue_soon(s, notices.soon_due_tickets(s, site, state, NOW + timedelta(minutes=5)),
                             NOW + timedelta(minutes=5))
        s.commit()
    assert len(rows(database)) == 30
    claimed: list[int] = []
    lock = threading.Lock()

    def sender(i):  # four senders, each its own Database, as four processes
        while True:
            with engines[i].write_session() as s:
                batch = notices.claim(s, now=NOW + timedelta(minutes=6), limit=3)
                s.commit()
            if not batch:
                return
            with lock:
                claimed.extend(n.id for n in batch)

    run_threads(4, sender)
    assert sorted(claimed) == [n.id for n in rows(database)]  # every one, once
    # A sender that died keeps its claim until the lease ends; then another takes it again.
    with database.write_session() as s:
        assert notices.claim(s, now=NOW + timedelta(minutes=6, seconds=30)) == []
        again = notices.claim(s, now=NOW + timedelta(minutes=8), limit=50)
        s.commit()
    assert len(again) == 30 and {n.attempts for n in again} == {2}


def test_a_message_is_dropped_when_no_longer_true(database, vault, office):
    t = checked_in(database, vault, office, 1)
    act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
    [call] = rows(database)
    with database.session() as s:
        ticket = s.get(type(t), t.id)
    assert notices.still_true(call, ticket, NOW.date()) is None
    assert notices.still_true(call, ticket, NOW.date() + timedelta(days=1)) == "another day"
    act(database, tickets.recall, site_id=office.site_id, ticket_id=t.id)
    with database.session() as s:
        ticket = s.get(type(t), t.id)
    assert notices.still_true(call, ticket, NOW.date()) == "called again since"
    act(database, tickets.start, site_id=office.site_id, ticket_id=t.id)
    with database.session() as s:
        ticket = s.get(type(t), t.id)
    assert notices.still_true(rows(database)[1], ticket, NOW.date()) == "ticket serving"
    assert notices.still_true(call, None, NOW.date()) == "ticket erased"


def test_temporary_failures_back_off_then_give_up(database, vault, office):
    checked_in(database, vault, office, 1)
    act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
    max_age = timedelta(minutes=10)
    at = NOW
    delays = []
    while True:
        with database.write_session() as s:
            [notice] = notices.claim(s, now=at)
            outcome = notices.retry_later(s, notice, now=at, reason="Throttling error (0x00000058)", max_age=max_age)
            s.commit()
        if outcome == notices.EXPIRED:
            break
        [row] = rows(database)
        delays.append((row.next_at - at).total_seconds())
        at = row.next_at
    assert delays[:4] == [2, 4, 8, 16] and max(delays) == 60
    [row] = rows(database)
    assert row.status == "expired" and "0x00000058" in row.reason and row.created_at + max_age >= at


def test_health_counts_what_a_supervisor_watches(database, vault, office):
    for i in range(3):
        checked_in(database, vault, office, i)
    for _ in range(2):
        t = act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
        act(database, tickets.start, site_id=office.site_id, ticket_id=t.id)
        act(database, tickets.finish, site_id=office.site_id, ticket_id=t.id)
    first, second = rows(database)
    with database.write_session() as s:
        notices.mark_sent(s, first.id, now=NOW + timedelta(minutes=1))
        notices.mark_failed(s, second.id, now=NOW + timedelta(minutes=1), reason="Invalid destination address")
        s.commit()
    act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1, now=NOW + timedelta(minutes=2))
    with database.session() as s:
        h = notices.health(s, office.site_id, NOW.date(), now=NOW + timedelta(minutes=5))
        failures = notices.last_failures(s, [first.ticket_id, second.ticket_id])
    assert (h.pending, h.failed_last_hour, h.oldest_pending_seconds, h.sms_today) == (1, 1, 180, 1)
    assert failures == {second.ticket_id: "Invalid destination address"}


@pytest.mark.parametrize("ahead, low, expected", [(2, None, True), (3, None, False), (3, 5, True), (9, 10, False)])
def test_soon_is_the_threshold_of_people_or_minutes_whichever_comes_first(ahead, low, expected):
    from accueil.waiting import Estimate

    site = Site(slug="x", name="X")
    estimate = None if low is None else Estimate(low, low + 5)
    assert notices.soon_due(site, ahead, estimate) is expected
