"""Arrivals matched to appointments: window flags, two the same day, call-backs, assignments."""
from datetime import date, timedelta

import pytest

from accueil import tickets
from accueil.appointments import callback_only
from accueil.checkin import AlreadyCheckedIn, CallbackOnly, check_in
from accueil.errors import NothingToCall
from accueil.models import Agent, Appointment
from tests.conftest import NOW, make_nir, table_counts


def book(db, vault, office, i, at, **kw):
    with db.write_session() as s:
        a = Appointment(site_id=office.site_id, service_day=date(2026, 11, 26), at=at, nir_hash=vault.hash_nir(make_nir(i)), **kw)
        s.add(a)
        s.commit()
    return a


def arrive(db, vault, office, i, now=NOW):
    with db.write_session() as s:
        result = check_in(s, vault, site_id=office.site_id, has_appointment=True, nir=make_nir(i), now=now)
        s.commit()
    return result


@pytest.mark.parametrize("minutes_before, flag", [(30, None), (31, "early"), (0, None), (-15, None), (-16, "late")])
def test_arrivals_outside_the_window_are_flagged_never_refused(database, vault, office, minutes_before, flag):
    book(database, vault, office, 1, NOW + timedelta(minutes=minutes_before))
    result = arrive(database, vault, office, 1)
    assert result.appointment is not None and result.ticket.queue_id == office.r
    assert result.ticket.arrival_flag == flag


def test_with_two_appointments_the_nearest_one_is_matched(database, vault, office):
    book(database, vault, office, 1, NOW - timedelta(hours=2))
    near = book(database, vault, office, 1, NOW + timedelta(minutes=10))
    assert arrive(database, vault, office, 1).appointment.id == near.id


def test_a_phone_call_back_alone_is_not_an_arrival(database, vault, office):
    callback = book(database, vault, office, 1, NOW + timedelta(hours=3), kind="phone")
    with database.session() as s:
        assert callback_only(s, office.site_id, date(2026, 11, 26), vault.hash_nir(make_nir(1))).id == callback.id
    book(database, vault, office, 2, NOW + timedelta(hours=3), kind="phone")
    book(database, vault, office, 2, NOW, kind="lsf")
    with database.session() as s:
        assert callback_only(s, office.site_id, date(2026, 11, 26), vault.hash_nir(make_nir(2))) is None
    before = table_counts(database)
    with pytest.raises(CallbackOnly) as told:  # no ticket: the CAF will call them
        arrive(database, vault, office, 1)
    assert told.value.params == {"time": "13:00"} and told.value.appointment_id == callback.id  # Paris time
    assert table_counts(database) == before
    with database.write_session() as s:  # still wants to see someone: a walk-in ticket, linked to the call-back
        result = check_in(s, vault, site_id=office.site_id, has_appointment=True, nir=make_nir(1),
                          confirm_callback=True, now=NOW)
        s.commit()
    t = result.ticket
    assert result.created and result.appointment.id == callback.id and t.appointment_id == callback.id
    assert t.queue_id == office.n and not t.appointment_not_found and t.claimed_appointment
    assert t.due_at == NOW and t.arrival_flag is None and t.reserved_until is None
    with pytest.raises(AlreadyCheckedIn):  # not the call-back again; nor the ticket, to a phone not proven its
        arrive(database, vault, office, 1)
    with database.write_session() as s:  # the phone that took it gets it back
        assert check_in(s, vault, site_id=office.site_id, has_appointment=True, nir=make_nir(1), held=t.public_id,
                        now=NOW).ticket.id == t.id
    assert arrive(database, vault, office, 2).ticket.queue_id == office.r  # in person the same day: the desks


def test_an_appointment_assigned_to_a_desk_waits_for_it_then_others_may_take_it(database, vault, office):
    book(database, vault, office, 1, NOW, desk_id=office.desk2)
    ticket = arrive(database, vault, office, 1).ticket
    with database.write_session() as s:
        with pytest.raises(NothingToCall):
            tickets.call_next(s, site_id=office.site_id, desk_id=office.desk1, now=NOW + timedelta(minutes=9))
    with database.write_session() as s:
        called = tickets.call_next(s, site_id=office.site_id, desk_id=office.desk1, now=NOW + timedelta(minutes=10))
        s.commit()
    assert called.id == ticket.id


def test_the_assigned_agent_gets_their_appointment_first(database, vault, office):
    with database.write_session() as s:
        agent = Agent(site_id=office.site_id, login="marie", password_hash="x")
        s.add(agent)
        s.commit()
    book(database, vault, office, 1, NOW - timedelta(minutes=5))  # earlier, unassigned
    book(database, vault, office, 2, NOW + timedelta(minutes=5), agent_id=agent.id)
    first = arrive(database, vault, office, 1).ticket
    mine = arrive(database, vault, office, 2).ticket
    with database.write_session() as s:
        called = tickets.call_next(s, site_id=office.site_id, desk_id=office.desk1, agent_id=agent.id, now=NOW)
        s.commit()
    assert called.id == mine.id
    with database.write_session() as s:
        other = tickets.call_next(s, site_id=office.site_id, desk_id=office.desk2, now=NOW)
        s.commit()
    assert other.id == first.id
