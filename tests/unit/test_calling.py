"""Agents' operations: call order, desks and zones, transitions, bad input."""
from datetime import timedelta

import pytest

from accueil import tickets
from accueil.checkin import check_in
from accueil.errors import AlreadyTaken, DeskBusy, InvalidInput, InvalidTransition, NotFound, NothingToCall, ZoneFull
from accueil.lifecycle import TRANSITIONS
from tests.conftest import NOW, Office, act, issue, make_nir, table_counts


def serve(db, office, ticket_id, desk):
    act(db, tickets.start, site_id=office.site_id, ticket_id=ticket_id, desk_id=desk)
    act(db, tickets.finish, site_id=office.site_id, ticket_id=ticket_id, desk_id=desk)


def test_appointments_are_called_by_time_then_priority_then_arrival(database, vault, office):
    set_rule(database, office, "time")
    ten, ten20 = NOW + timedelta(hours=1), NOW + timedelta(hours=1, minutes=20)
    late_slot = issue(database, vault, office, 1, appointment_at=ten20, now=NOW)
    plain = issue(database, vault, office, 2, appointment_at=ten, now=NOW + timedelta(minutes=1))
    prio = issue(database, vault, office, 3, appointment_at=ten, priority=1, now=NOW + timedelta(minutes=2))
    second_plain = issue(database, vault, office, 4, appointment_at=ten, now=NOW + timedelta(minutes=3))
    order = []
    for _ in range(4):
        t = act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
        order.append(t.id)
        serve(database, office, t.id, office.desk1)
    assert order == [prio.id, plain.id, second_plain.id, late_slot.id]


def test_walk_ins_are_called_in_arrival_order_at_the_zone(database, vault, office):
    ids = [issue(database, vault, office, i, now=NOW + timedelta(minutes=i)).id for i in range(2)]
    called = [act(database, tickets.call_next, site_id=office.site_id, desk_id=office.zone_desk).id for _ in ids]
    assert called == ids


def test_a_desk_only_calls_from_the_queues_it_serves(database, vault, office):
    issue(database, vault, office, 1)  # a walk-in, queue N
    with pytest.raises(NothingToCall):
        act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)


def test_a_desk_receives_one_visitor_at_a_time(database, vault, office):
    for i in range(2):
        issue(database, vault, office, i, appointment_at=NOW)
    first = act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
    with pytest.raises(DeskBusy) as caught:
        act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
    assert first.code in caught.value.message


def test_a_zone_seats_as_many_visitors_as_it_has_seats(database, vault, office):
    ids = [issue(database, vault, office, i).id for i in range(3)]
    for _ in range(2):
        act(database, tickets.call_next, site_id=office.site_id, desk_id=office.zone_desk)
    with pytest.raises(ZoneFull):
        act(database, tickets.call_next, site_id=office.site_id, desk_id=office.zone_desk)
    serve(database, office, ids[0], office.zone_desk)
    assert act(database, tickets.call_next, site_id=office.site_id, desk_id=office.zone_desk).id == ids[2]


def test_call_a_chosen_ticket_out_of_order(database, vault, office):
    ids = [issue(database, vault, office, i, appointment_at=NOW).id for i in range(3)]
    t = act(database, tickets.call_ticket, site_id=office.site_id, ticket_id=ids[2], desk_id=office.desk1)
    assert (t.id, t.status, t.desk_id) == (ids[2], "called", office.desk1)
    with pytest.raises(AlreadyTaken):
        act(database, tickets.call_ticket, site_id=office.site_id, ticket_id=ids[2], desk_id=office.desk2)


def test_recall_counts_and_keeps_the_desk(database, vault, office):
    t = issue(database, vault, office, 1, appointment_at=NOW)
    act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
    again = act(database, tickets.recall, site_id=office.site_id, ticket_id=t.id, desk_id=office.desk1)
    assert (again.status, again.recalls, again.desk_id) == ("called", 1, office.desk1)


def test_transfer_keeps_the_number(database, vault, office):
    t = issue(database, vault, office, 1, appointment_at=NOW)
    act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
    moved = act(database, tickets.transfer, site_id=office.site_id, ticket_id=t.id, queue_id=office.n)
    assert (moved.code, moved.queue_id, moved.status, moved.desk_id) == (t.code, office.n, "waiting", None)
    called = act(database, tickets.call_next, site_id=office.site_id, desk_id=office.zone_desk)
    assert called.id == t.id and called.code == "R001"


def _ticket_in(db, vault, office, status):
    t = issue(db, vault, office, 1, appointment_at=NOW)
    steps = {"waiting": [], "called": ["call"], "serving": ["call", "start"], "done": ["call", "start", "finish"],
             "no_show": ["call", "no_show"], "cancelled": ["cancel"]}[status]
    for step in steps:
        run_action(db, office, step, t.id)
    return t


def run_action(db, office, action, ticket_id):
    common = dict(site_id=office.site_id, ticket_id=ticket_id)
    if action == "call":
        return act(db, tickets.call_ticket, desk_id=office.desk1, **common)
    if action == "transfer":
        return act(db, tickets.transfer, queue_id=office.n, **common)
    return act(db, getattr(tickets, action), **common)


STATES = ["waiting", "called", "serving", "done", "no_show", "cancelled"]


@pytest.mark.parametrize("status", STATES)
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_action_in_every_state(database, vault, office, action, status):
    t = _ticket_in(database, vault, office, status)
    allowed = status in TRANSITIONS[action]
    before = table_counts(database)
    if allowed:
        after = run_action(database, office, action, t.id)
        assert after.status == TRANSITIONS[action][status]
        assert table_counts(database)["tickettransition"] == before["tickettransition"] + 1
    else:
        with pytest.raises(InvalidTransition) as caught:
            run_action(database, office, action, t.id)
        assert t.code in caught.value.message
        assert table_counts(database) == before


def test_another_sites_ticket_does_not_exist_for_this_site(database, vault, office):
    other = Office(database, "saint-dizier")
    t = issue(database, vault, office, 1, appointment_at=NOW)
    with pytest.raises(NotFound):
        act(database, tickets.call_ticket, site_id=other.site_id, ticket_id=t.id, desk_id=other.desk1)
    with pytest.raises(NotFound):
        act(database, tickets.call_next, site_id=other.site_id, desk_id=office.desk1)
    with pytest.raises(NotFound):
        act(database, tickets.transfer, site_id=office.site_id, ticket_id=t.id, queue_id=other.n)


def test_another_desks_ticket_cannot_be_finished_from_here(database, vault, office):
    t = issue(database, vault, office, 1, appointment_at=NOW)
    act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1)
    with pytest.raises(InvalidInput):
        act(database, tickets.start, site_id=office.site_id, ticket_id=t.id, desk_id=office.desk2)


@pytest.mark.parametrize("bad", [0, -1, "12", None, 1.5, True, 10**9])
def test_bad_ids_raise_domain_errors_and_write_nothing(database, vault, office, bad):
    issue(database, vault, office, 1, appointment_at=NOW)
    before = table_counts(database)
    calls = [
        (tickets.call_next, dict(desk_id=bad)),
        (tickets.call_ticket, dict(ticket_id=bad, desk_id=office.desk1)),
        (tickets.call_ticket, dict(ticket_id=1, desk_id=bad)),
        (tickets.recall, dict(ticket_id=bad)),
        (tickets.start, dict(ticket_id=bad)),
        (tickets.finish, dict(ticket_id=bad)),
        (tickets.no_show, dict(ticket_id=bad)),
        (tickets.cancel, dict(ticket_id=bad)),
        (tickets.transfer, dict(ticket_id=bad, queue_id=office.n)),
        (tickets.transfer, dict(ticket_id=1, queue_id=bad)),
    ]
    for fn, kw in calls:
        with database.write_session() as s:
            with pytest.raises((InvalidInput, NotFound)):
                fn(s, site_id=office.site_id, now=NOW, **kw)
            s.commit()
    assert table_counts(database) == before


def test_transfer_to_the_queue_it_waits_in_is_refused(database, vault, office):
    t = issue(database, vault, office, 1)
    with pytest.raises(InvalidInput):
        act(database, tickets.transfer, site_id=office.site_id, ticket_id=t.id, queue_id=office.n)


def test_yesterdays_waiting_tickets_are_not_called_today(database, vault, office):
    issue(database, vault, office, 1, now=NOW - timedelta(days=1))
    with pytest.raises(NothingToCall):
        act(database, tickets.call_next, site_id=office.site_id, desk_id=office.zone_desk)


def set_rule(db, office, rule):
    from sqlalchemy import update

    from accueil.models import Site

    with db.write_session() as s:
        s.execute(update(Site).where(Site.id == office.site_id).values(priority_rule=rule))
        s.commit()


@pytest.mark.parametrize("rule, expected", [("first", ["prio_late", "plain", "walk"]), ("time", ["plain", "prio_late", "walk"])])
def test_the_sites_priority_rule_orders_the_queue(database, vault, office, rule, expected):
    set_rule(database, office, rule)
    ids = {
        "plain": issue(database, vault, office, 1, appointment_at=NOW + timedelta(minutes=10)).id,
        "prio_late": issue(database, vault, office, 2, appointment_at=NOW + timedelta(minutes=40), priority=1).id,
    }
    with database.write_session() as s:  # said "appointment", none found: due at arrival time, after both
        ids["walk"] = check_in(s, vault, site_id=office.site_id, has_appointment=True, nir=make_nir(3),
                               now=NOW + timedelta(minutes=50)).ticket.id
        s.commit()
    order = []
    for _ in range(3):
        t = act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1,
                now=NOW + timedelta(minutes=55))
        order.append(t.id)
        act(database, tickets.start, site_id=office.site_id, ticket_id=t.id, now=NOW + timedelta(minutes=55))
        act(database, tickets.finish, site_id=office.site_id, ticket_id=t.id, now=NOW + timedelta(minutes=55))
    names = {v: k for k, v in ids.items()}
    assert [names[i] for i in order] == expected


def test_a_need_goes_to_a_capable_desk(database, vault, office):
    from sqlalchemy import update

    from accueil import needs
    from accueil.models import Desk

    with database.write_session() as s:
        s.execute(update(Desk).where(Desk.id == office.desk2).values(capabilities=needs.mask(["lsf", "mobility"])))
        lsf = check_in(s, vault, site_id=office.site_id, has_appointment=True, nir=make_nir(1), needs=["lsf"],
                       now=NOW).ticket
        plain = check_in(s, vault, site_id=office.site_id, has_appointment=True, nir=make_nir(2),
                         now=NOW + timedelta(minutes=1)).ticket
        s.commit()
    assert act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1).id == plain.id
    assert act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk2).id == lsf.id


def test_needs_are_checked(database, vault, office):
    from accueil.errors import InvalidInput as Invalid

    before = table_counts(database)
    for kw in ({"needs": ["jetpack"]}, {"needs": ["interpreter"], "interpreter_language": "xx"}):
        with database.write_session() as s:
            with pytest.raises(Invalid):
                check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(1), now=NOW, **kw)
            s.commit()
    assert table_counts(database) == before
    with database.write_session() as s:
        t = check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(1), now=NOW,
                     needs=["interpreter"], interpreter_language="uk").ticket
        s.commit()
    assert (t.needs, t.interpreter_language) == (2, "uk")


@pytest.mark.parametrize("rule", ["first", "time"])
def test_a_desk_serving_two_queues_calls_the_best_of_both(database, vault, office, rule):
    """Each queue's first is found on its own; the best of them is the one the rule puts first across both."""
    import random

    from sqlalchemy import insert

    from accueil.models import DeskQueue

    set_rule(database, office, rule)
    with database.write_session() as s:
        s.execute(insert(DeskQueue).values(desk_id=office.desk1, queue_id=office.n))
        s.commit()
    rnd = random.Random(7)
    made = []
    for i in range(24):
        appointment = NOW + timedelta(minutes=rnd.choice([20, 40, 60])) if rnd.random() < 0.5 else None
        made.append(issue(database, vault, office, i, appointment_at=appointment, priority=rnd.choice([0, 0, 1, 2]),
                          now=NOW + timedelta(minutes=rnd.randrange(10))))
    if rule == "time":
        expected = sorted(made, key=lambda t: (t.due_at, -t.priority, t.queued_at, t.id))
    else:
        expected = sorted(made, key=lambda t: (-t.priority, t.due_at, t.queued_at, t.id))
    assert {t.queue_id for t in made} == {office.r, office.n}
    called = []
    for _ in made:
        t = act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1, now=NOW + timedelta(hours=2))
        called.append(t.id)
        serve(database, office, t.id, office.desk1)
    assert called == [t.id for t in expected]


def test_the_next_ticket_is_read_from_an_index_not_by_sorting_the_waiting_room(tmp_path):
    """SQLite's plans on the migrated schema: a queue's first is its waiting index's first entry (no sort,
    whatever the room's size); the tickets kept for a desk or agent come from their own small index.
    (PostgreSQL plans from its statistics; its results are checked by every call test on both engines.)"""
    from sqlalchemy.dialects import sqlite

    from accueil.db import Database
    from accueil.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(db)

    def plan(statement) -> str:
        sql = str(statement.compile(dialect=sqlite.dialect())).replace("(__[POSTCOMPILE_queues])", "(1, 2)")
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple([1] * sql.count("?"))).all()
        return " | ".join(row[3] for row in rows)

    try:
        for rule, index in (("first", "ix_ticket_next_priority_first"), ("time", "ix_ticket_next_time_first")):
            assert plan(tickets._queue_first(rule)) == (
                f"SEARCH ticket USING INDEX {index} (site_id=? AND service_day=? AND queue_id=?)")
            for with_agent in (True, False):
                assert plan(tickets._mine_first(rule, with_agent)).startswith(
                    "SEARCH ticket USING INDEX ix_ticket_reserved (site_id=? AND service_day=? AND status=?)")
    finally:
        db.dispose()
