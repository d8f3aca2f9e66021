"""What the visitor's page shows: position in call order, an honest wait range, a public status."""
from datetime import timedelta

import pytest
from sqlmodel import select

from accueil import audiences, site_state, tickets, waiting
from accueil.models import Desk, Site, Ticket
from accueil.waiting import Estimate, estimate
from tests.conftest import NOW, act, issue, make_nir


def positions(db, ids, now=NOW):
    with db.session() as s:
        state = site_state.read(s, s.get(Ticket, ids[0]).site_id, now=now)
        return [state.positions.get(i) for i in ids]


def status_of(s, ticket_id, now=NOW):
    return audiences.phone_snapshot(s, s.get(Ticket, ticket_id).public_id, now=now)


def open_desk(db, desk_id, agent=True, paused=False):
    """Mark a desk as held by someone (the agent console does it through accueil.desks)."""
    from accueil.models import Agent

    with db.write_session() as s:
        agent_row = s.exec(select(Agent)).first()
        if agent_row is None:
            site_id = s.get(Desk, desk_id).site_id
            agent_row = Agent(site_id=site_id, login=f"a{desk_id}", password_hash="x")
            s.add(agent_row)
            s.flush()
        desk = s.get(Desk, desk_id)
        desk.agent_id = agent_row.id if agent else None
        desk.paused_at = NOW if paused else None
        s.add(desk)
        s.commit()


def test_position_follows_the_call_order(database, vault, office):
    ten, ten20 = NOW + timedelta(hours=1), NOW + timedelta(hours=1, minutes=20)
    late_slot = issue(database, vault, office, 1, appointment_at=ten20)
    plain = issue(database, vault, office, 2, appointment_at=ten, now=NOW + timedelta(minutes=1))
    prio = issue(database, vault, office, 3, appointment_at=ten, priority=1, now=NOW + timedelta(minutes=2))
    walk_in = issue(database, vault, office, 4)  # another queue: not counted
    assert positions(database, [prio.id, plain.id, late_slot.id, walk_in.id]) == [0, 1, 2, 0]
    called = act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
    assert called.id == prio.id  # the same order as the core's call_next
    assert positions(database, [prio.id, plain.id, late_slot.id]) == [None, 0, 1]


def test_quartiles_of_recent_visits_make_the_range(database, vault, office):
    assert estimate(0, [10, 10, 10, 10], 1, "desks") == Estimate(0, 10)
    assert estimate(4, [8, 10, 12, 14], 2, "desks") == Estimate(15, 40)  # 2 rounds of 9.5..12.5 min
    assert estimate(3, [], 1, "desks") == Estimate(30, 120)  # no history: 20 min ± half
    assert estimate(1, [5, 5, 5], 0, "desks") is None  # nobody receives: no estimate at all
    assert estimate(200, [30, 30, 30], 1, "desks") == Estimate(120, 120, long=True)
    low_high = estimate(7, [12, 15, 20, 25, 9], 3, "desks")
    assert low_high.low % 5 == 0 and low_high.high % 5 == 0 and low_high.high > low_high.low


def test_the_estimate_uses_the_desks_actually_open(database, vault, office):
    ids = [issue(database, vault, office, i, has_appointment=True, now=NOW + timedelta(minutes=i)).id
           for i in range(5)]
    last = ids[-1]
    with database.session() as s:
        assert status_of(s, last)["estimate"] is None
    open_desk(database, office.desk1)
    with database.session() as s:
        one = status_of(s, last)["estimate"]
    open_desk(database, office.desk2)
    with database.session() as s:
        two = status_of(s, last)["estimate"]
    assert one["high"] > two["high"] and one["low"] > two["low"]
    open_desk(database, office.desk2, paused=True)
    with database.session() as s:
        assert status_of(s, last)["estimate"] == one


def test_the_estimate_learns_from_finished_visits(database, vault, office):
    open_desk(database, office.desk1)
    for i in range(4):
        t = issue(database, vault, office, 100 + i, has_appointment=True, now=NOW)
        act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1, now=NOW)
        act(database, tickets.start, site_id=office.site_id, ticket_id=t.id, now=NOW)
        act(database, tickets.finish, site_id=office.site_id, ticket_id=t.id, now=NOW + timedelta(minutes=4))
    waiting_ids = [issue(database, vault, office, i, has_appointment=True, now=NOW + timedelta(minutes=5 + i)).id
                   for i in range(3)]
    with database.session() as s:
        status = status_of(s, waiting_ids[2])
    assert status["ahead"] == 2 and status["estimate"] == {"low": 5, "high": 15, "long": False}


def test_a_zone_counts_its_seats(database, vault, office):
    ids = [issue(database, vault, office, i, now=NOW + timedelta(minutes=i)).id for i in range(3)]
    open_desk(database, office.zone_desk)
    with database.session() as s:
        status = status_of(s, ids[2])
    # 2 ahead, 2 seats: one full round of 15..45 minutes before a seat frees
    assert status["place"] == "zone" and status["ahead"] == 2
    assert status["estimate"] == {"low": 15, "high": 90, "long": False}


def test_the_public_status_follows_the_ticket_and_holds_no_personal_data(database, vault, office):
    t = issue(database, vault, office, 1, appointment_at=NOW + timedelta(minutes=30))
    with database.session() as s:
        status = status_of(s, t.id)
        version = s.get(Site, office.site_id).version
    assert status["status"] == "waiting" and status["code"] == "R001" and status["place"] == "desks"
    assert status["v"] == version and status["ahead"] == 0 and status["desk"] is None
    assert status["appointment_at"].startswith("2026-11-26T09:30")
    text = repr(status)
    assert make_nir(1) not in text and t.public_id not in text and "nir" not in text.lower()
    act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk2)
    with database.session() as s:
        status = status_of(s, t.id)
    assert status["status"] == "called" and status["desk"] == "Bureau 2" and status["ahead"] is None
    assert status["v"] == version + 1


def test_said_appointment_but_none_found_is_told(database, vault, office):
    t = issue(database, vault, office, 1, has_appointment=True)
    with database.session() as s:
        status = status_of(s, t.id)
    assert status["appointment_not_found"] is True and status["appointment_at"] is None


def test_statuses_of_many_tickets_come_from_one_state(database, vault, office):
    ids = [issue(database, vault, office, i, now=NOW + timedelta(minutes=i)).id for i in range(4)]
    with database.session() as s:
        state = site_state.read(s, office.site_id, now=NOW)
        result = [audiences.phone_status(state, s.get(Ticket, i), None) for i in ids]
    assert [r["ahead"] for r in result] == [0, 1, 2, 3]


@pytest.mark.parametrize("public_id", [None, "", "short", "x" * 44, 123])
def test_unknown_or_malformed_links_find_nothing(database, office, public_id):
    with database.session() as s:
        assert waiting.ticket_by_public_id(s, public_id) is None


def test_a_transferred_ticket_keeps_its_code_and_tells_the_queue_it_waits_in(database, vault, office):
    t = issue(database, vault, office, 1, has_appointment=True)
    act(database, tickets.transfer, site_id=office.site_id, ticket_id=t.id, queue_id=office.n)
    with database.session() as s:
        status = status_of(s, t.id)
    assert (status["code"], status["letter"], status["queue"]) == ("R001", "N", "Espace numérique")
