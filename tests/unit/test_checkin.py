"""Check-in: routing, numbering, the one-ticket-per-person rule, personal data at rest."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlmodel import select

from accueil import tickets
from accueil.checkin import NIR_MAX, CallbackOnly, InvalidAnswers, check_in, read_answers
from accueil.errors import InvalidInput, InvalidNir, InvalidPhone, NotFound
from accueil.models import Appointment, TicketTransition
from tests.conftest import NOW, make_nir, table_counts


def checkin(db, vault, office, **kw):
    args = dict(site_id=office.site_id, has_appointment=False, nir=make_nir(1), phone="06 12 34 56 78", now=NOW)
    args.update(kw)
    with db.write_session() as s:
        result = check_in(s, vault, **args)
        s.commit()
    return result


def add_appointment(db, vault, office, nir, at, kind="desk", site_id=None):
    with db.write_session() as s:
        s.add(Appointment(site_id=site_id or office.site_id, service_day=date(2026, 11, 26), at=at,
                          nir_hash=vault.hash_nir(nir), kind=kind))
        s.commit()


def test_walk_in_goes_to_the_espace_numerique_with_a_sayable_number(database, vault, office):
    result = checkin(database, vault, office)
    assert result.created
    assert result.ticket.code == "N001"
    assert result.ticket.queue_id == office.n
    assert result.ticket.status == "waiting"
    assert result.ticket.service_day == date(2026, 11, 26)


def test_numbers_count_per_queue(database, vault, office):
    codes = [checkin(database, vault, office, nir=make_nir(i)).ticket.code for i in range(3)]
    add_appointment(database, vault, office, make_nir(10), NOW + timedelta(minutes=10))
    codes.append(checkin(database, vault, office, nir=make_nir(10), has_appointment=True).ticket.code)
    assert codes == ["N001", "N002", "N003", "R001"]


def test_appointment_found_routes_to_the_desks_at_its_time(database, vault, office):
    at = NOW + timedelta(minutes=10)
    add_appointment(database, vault, office, make_nir(5), at)
    result = checkin(database, vault, office, nir=make_nir(5), has_appointment=True)
    assert result.ticket.queue_id == office.r
    assert result.appointment is not None and result.appointment.at == at
    assert result.ticket.due_at == at
    assert not result.ticket.appointment_not_found


def test_appointment_found_routes_even_when_the_visitor_said_no(database, vault, office):
    add_appointment(database, vault, office, make_nir(5), NOW)
    result = checkin(database, vault, office, nir=make_nir(5), has_appointment=False)
    assert result.ticket.queue_id == office.r and result.appointment is not None


def test_said_appointment_but_none_found_is_flagged_for_the_agent(database, vault, office):
    result = checkin(database, vault, office, nir=make_nir(6), has_appointment=True)
    assert result.ticket.queue_id == office.r
    assert result.appointment is None
    assert result.ticket.appointment_not_found


def test_appointment_elsewhere_or_by_phone_is_not_an_arrival(database, vault, office):
    other = __import__("tests.conftest", fromlist=["Office"]).Office(database, "saint-dizier")
    add_appointment(database, vault, office, make_nir(7), NOW, site_id=other.site_id)
    add_appointment(database, vault, office, make_nir(7), NOW, kind="phone")
    with pytest.raises(CallbackOnly):  # only a call-back here today: told so, no ticket unless confirmed
        checkin(database, vault, office, nir=make_nir(7), has_appointment=False)
    result = checkin(database, vault, office, nir=make_nir(7), has_appointment=False, confirm_callback=True)
    assert result.appointment.kind == "phone" and result.ticket.queue_id == office.n
    add_appointment(database, vault, office, make_nir(8), NOW, site_id=other.site_id)
    result = checkin(database, vault, office, nir=make_nir(8), has_appointment=False)
    assert result.appointment is None and result.ticket.queue_id == office.n


def test_no_nir_still_gets_a_ticket_flagged_for_identification(database, vault, office):
    first = checkin(database, vault, office, nir=None, phone=None)
    second = checkin(database, vault, office, nir=None, phone=None)
    assert first.ticket.needs_identification and first.ticket.nir_hash is None
    assert first.ticket.id != second.ticket.id  # nobody to match: two people, two tickets


@pytest.mark.parametrize("nir", ["884058832102523", "784058832102573"])
def test_provisional_numbers_starting_with_7_or_8_are_welcome(database, vault, office, nir):
    from stdnum.fr import nir as stdnum_nir

    assert stdnum_nir.is_valid(nir)
    assert checkin(database, vault, office, nir=nir).created


def test_same_person_same_day_gets_the_same_ticket_back(database, vault, office):
    first = checkin(database, vault, office, nir="2 95 10 99 126 111 93")
    again = checkin(database, vault, office, nir="295109912611193", has_appointment=True)
    assert not again.created and again.ticket.id == first.ticket.id
    assert table_counts(database)["ticket"] == 1


def test_a_finished_visit_allows_a_new_ticket_the_same_day(database, vault, office):
    first = checkin(database, vault, office).ticket
    with database.write_session() as s:
        tickets.call_ticket(s, site_id=office.site_id, ticket_id=first.id, desk_id=office.zone_desk, now=NOW)
        tickets.start(s, site_id=office.site_id, ticket_id=first.id, now=NOW)
        tickets.finish(s, site_id=office.site_id, ticket_id=first.id, now=NOW)
        s.commit()
    second = checkin(database, vault, office)
    assert second.created and second.ticket.code == "N002"


def test_numbers_restart_each_paris_service_day(database, vault, office):
    # 22:30 UTC on 26 Nov is 23:30 in Paris (still the 26th); 23:30 UTC is 00:30 on the 27th.
    late = checkin(database, vault, office, nir=make_nir(1), now=datetime(2026, 11, 26, 22, 30, tzinfo=timezone.utc))
    next_day = checkin(database, vault, office, nir=make_nir(2), now=datetime(2026, 11, 26, 23, 30, tzinfo=timezone.utc))
    assert (late.ticket.service_day, late.ticket.code) == (date(2026, 11, 26), "N001")
    assert (next_day.ticket.service_day, next_day.ticket.code) == (date(2026, 11, 27), "N001")


def test_nir_and_phone_are_encrypted_at_rest(database, vault, office):
    nir = make_nir(3)
    ticket = checkin(database, vault, office, nir=nir, phone="06 12 34 56 78").ticket
    with database.session() as s:
        raw = s.execute(text("SELECT * FROM ticket WHERE id = :id"), {"id": ticket.id}).one()
    dump = repr(tuple(raw)).encode()
    for secret in (nir.encode(), nir[:13].encode(), b"612345678", b"0612345678"):
        assert secret not in dump
    assert vault.decrypt(ticket.nir_enc) == nir
    assert vault.decrypt(ticket.phone_enc) == "+33612345678"
    assert ticket.nir_hash == vault.hash_nir(nir)


@pytest.mark.parametrize(
    "kw, error",
    [
        ({"nir": "29510991261119"}, InvalidNir),
        ({"nir": "295109912611199"}, InvalidNir),
        ({"nir": "2951O9912611193"}, InvalidNir),
        ({"nir": ""}, InvalidNir),
        ({"phone": "pas un numéro"}, InvalidPhone),
        ({"phone": "06 12 34 56 7"}, InvalidPhone),
        ({"site_id": 999}, NotFound),
        ({"site_id": "chaumont"}, NotFound),
        ({"channel": "fax"}, InvalidInput),
        ({"priority": 42}, InvalidInput),
        ({"now": datetime(2026, 11, 26, 10, 0)}, InvalidInput),
    ],
)
def test_bad_input_raises_a_precise_error_and_writes_nothing(database, vault, office, kw, error):
    before = table_counts(database)
    args = dict(site_id=office.site_id, has_appointment=False, nir=make_nir(1), phone="0612345678", now=NOW)
    args.update(kw)
    with database.write_session() as s:
        with pytest.raises(InvalidInput if error is InvalidInput else (error, InvalidAnswers)) as caught:
            check_in(s, vault, **args)
        s.commit()  # even committing what the failed call left behind must change nothing
    assert table_counts(database) == before
    precise = caught.value
    if isinstance(precise, InvalidAnswers):  # the answers' errors come together: here only one
        (precise,) = precise.errors.values()
    assert isinstance(precise, error)
    assert precise.message
    assert make_nir(1) not in precise.message


def test_history_records_the_issue(database, vault, office):
    ticket = checkin(database, vault, office).ticket
    with database.session() as s:
        rows = s.exec(select(TicketTransition).where(TicketTransition.ticket_id == ticket.id)).all()
    assert [(r.kind, r.from_status, r.to_status) for r in rows] == [("issued", None, "waiting")]


def test_every_wrong_answer_is_named_at_once_and_nothing_is_stored(database, vault, office):
    before = table_counts(database)
    with pytest.raises(InvalidAnswers) as caught:
        checkin(database, vault, office, nir="1 85 05 75 056 001", phone="06 12", needs=["nope"], priority=12)
    assert set(caught.value.errors) == {"nir", "phone", "needs", "priority"}
    assert isinstance(caught.value.errors["nir"], InvalidNir) and isinstance(caught.value.errors["phone"], InvalidPhone)
    assert caught.value.field == "nir"  # read as its first error where one message is enough
    assert table_counts(database) == before


def test_answers_are_read_once_with_one_limit_per_field():
    good = make_nir(7)
    answers = read_answers(nir=f" {good[:5]} {good[5:]} ", phone="06 12 34 56 78", needs=["interpreter"],
                           interpreter_language="ar")
    assert (answers.nir, answers.phone, answers.interpreter_language) == (good, "+33612345678", "ar")
    with pytest.raises(InvalidAnswers) as caught:
        read_answers(nir=good + " " * NIR_MAX, phone="0" * 1000)  # too long: refused, not cut to fit
    assert set(caught.value.errors) == {"nir", "phone"}
    with pytest.raises(InvalidAnswers):
        read_answers(nir=12345, phone=None)  # not text


def test_a_nir_already_checked_in_comes_back_to_its_owner_only(database, vault, office):
    from accueil.checkin import AlreadyCheckedIn, record_attempt
    from accueil.models import Ticket

    first = checkin(database, vault, office, nir=make_nir(3), phone="06 12 34 56 78").ticket
    # Its owner: the same number with the same phone (a new phone, a lost page), the phone that holds
    # the link, or an agent registering the person.
    for kw in ({"phone": "+33 6 12 34 56 78"}, {"phone": None, "held": first.public_id},
               {"phone": None, "channel": "assisted"}):
        again = checkin(database, vault, office, nir=make_nir(3), **kw)
        assert again.ticket.id == first.id and not again.created
    # Anyone else: no ticket, no appointment, nothing of the person; the attempt is kept for the agents.
    before = table_counts(database)
    for kw in ({"phone": None}, {"phone": "07 81 23 45 67"}, {"phone": None, "held": "another-link"}):
        with pytest.raises(AlreadyCheckedIn) as refused:
            checkin(database, vault, office, nir=make_nir(3), **kw)
        assert refused.value.field == "nir" and first.code not in refused.value.message
        with database.write_session() as s:
            record_attempt(s, ticket_id=refused.value.ticket_id, now=NOW)
            s.commit()
    with database.session() as s:
        assert s.get(Ticket, first.id).checkin_attempts == 3
    after = table_counts(database)
    assert after["ticket"] == before["ticket"]
