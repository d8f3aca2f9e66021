"""Concurrency, with real threads on a file database: numbers and claims are atomic."""
from __future__ import annotations

from collections import Counter as Tally

from sqlmodel import func, select

from accueil import tickets
from accueil.checkin import check_in
from accueil.db import Database
from accueil.errors import AlreadyTaken, NothingToCall
from accueil.models import Ticket, TicketTransition
from tests.conftest import NOW, make_nir, run_threads
from tests.conftest import PROCESSES as ENGINES


def race(n, action, lost) -> list[str]:
    """Run action(i) in *n* threads at once; return, sorted, "won" or "lost" (it raised *lost*) for each."""
    outcomes: list[str] = []

    def one(i):
        try:
            action(i)
            outcomes.append("won")
        except lost:
            outcomes.append("lost")

    run_threads(n, one)
    return sorted(outcomes)


def test_200_simultaneous_check_ins_get_200_consecutive_numbers(database, engines, vault, office):
    codes: list[str] = []

    def one(i):
        with engines[i % ENGINES].write_session() as s:
            t = check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(i), now=NOW).ticket
            s.commit()
            codes.append(t.code)

    run_threads(200, one)
    assert sorted(codes) == [f"N{i:03d}" for i in range(1, 201)]
    with database.session() as s:
        assert s.exec(select(func.count()).select_from(Ticket)).one() == 200


def test_a_double_tap_in_eight_threads_gives_one_ticket(database, engines, vault, office):
    ids: list[int] = []

    def one(i):
        with engines[i % ENGINES].write_session() as s:  # the same form sent eight times: same NIR, same phone
            ids.append(check_in(s, vault, site_id=office.site_id, has_appointment=False,
                                nir=make_nir(1), phone="06 12 34 56 78", now=NOW).ticket.id)
            s.commit()

    run_threads(8, one)
    assert len(ids) == 8 and len(set(ids)) == 1
    with database.session() as s:
        assert s.exec(select(func.count()).select_from(Ticket)).one() == 1


def test_one_form_without_a_number_sent_eight_times_by_eight_processes_gives_one_ticket(database, engines, vault,
                                                                                       office):
    ids: list[int] = []

    def one(i):
        with engines[i % ENGINES].write_session() as s:  # no NIR: only the form's key tells the sendings apart
            ids.append(check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=None,
                                form_key="the-form-of-one-phone", now=NOW).ticket.id)
            s.commit()

    run_threads(8, one)
    assert len(ids) == 8 and len(set(ids)) == 1
    with database.session() as s:
        assert s.exec(select(func.count()).select_from(Ticket)).one() == 1
    with engines[1].write_session() as s:  # another form makes another ticket
        assert check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=None,
                        form_key="another-form", now=NOW).ticket.id not in ids
        s.commit()


def test_eight_phones_racing_with_one_nir_get_one_ticket_and_the_others_nothing(database, engines, vault, office):
    from accueil.checkin import AlreadyCheckedIn

    def one(i):
        with engines[i % ENGINES].write_session() as s:  # eight phones, eight numbers (or none)
            check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(1),
                     phone=f"06 12 34 56 {i:02d}" if i % 2 else None, now=NOW)
            s.commit()

    assert race(8, one, AlreadyCheckedIn) == ["lost"] * 7 + ["won"]  # the others are told to see an agent
    with database.session() as s:
        assert s.exec(select(func.count()).select_from(Ticket)).one() == 1


def test_four_agents_racing_call_next_call_each_ticket_once(database, engines, vault, office):
    from accueil.models import Desk, DeskQueue

    with database.write_session() as s:
        desks = [Desk(site_id=office.site_id, name=f"Bureau course {i}") for i in range(4)]
        s.add_all(desks)
        s.flush()
        desk_ids = [d.id for d in desks]
        s.add_all(DeskQueue(desk_id=d, queue_id=office.r) for d in desk_ids)
        for i in range(100):
            check_in(s, vault, site_id=office.site_id, has_appointment=True, nir=make_nir(i), now=NOW)
        s.commit()

    called: list[int] = []

    def agent(i):
        desk, db = desk_ids[i], engines[i]
        while True:
            try:
                with db.write_session() as s:
                    t = tickets.call_next(s, site_id=office.site_id, desk_id=desk, now=NOW)
                    s.commit()
            except NothingToCall:
                return
            called.append(t.id)
            for step in (tickets.start, tickets.finish):
                with db.write_session() as s:
                    step(s, site_id=office.site_id, ticket_id=t.id, desk_id=desk, now=NOW)
                    s.commit()

    run_threads(4, agent)
    assert len(called) == 100 and len(set(called)) == 100
    with database.session() as s:
        calls = Tally(s.exec(select(TicketTransition.ticket_id).where(TicketTransition.kind == "called")).all())
        assert len(calls) == 100 and set(calls.values()) == {1}
        assert s.exec(select(func.count()).select_from(Ticket).where(Ticket.status == "done")).one() == 100


def test_agents_racing_for_one_chosen_ticket_one_wins(database, engines, vault, office):
    from accueil.models import Desk, DeskQueue

    with database.write_session() as s:
        desks = [Desk(site_id=office.site_id, name=f"Bureau choix {i}") for i in range(6)]
        s.add_all(desks)
        s.flush()
        desk_ids = [d.id for d in desks]
        s.add_all(DeskQueue(desk_id=d, queue_id=office.r) for d in desk_ids)
        ticket_id = check_in(s, vault, site_id=office.site_id, has_appointment=True, nir=make_nir(1), now=NOW).ticket.id
        s.commit()

    def agent(i):
        with engines[i].write_session() as s:
            tickets.call_ticket(s, site_id=office.site_id, ticket_id=ticket_id, desk_id=desk_ids[i], now=NOW)
            s.commit()

    assert race(6, agent, AlreadyTaken) == ["lost"] * 5 + ["won"]


def test_simultaneous_survey_answers_for_one_ticket_store_one(database, vault, office):
    from accueil.models import SurveyAnswer
    from accueil.survey import AlreadyAnswered, answer

    with database.write_session() as s:
        t = check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(77), now=NOW).ticket
        s.commit()
    for action in ("call_ticket", "start", "finish"):
        with database.write_session() as s:
            kw = {"desk_id": office.zone_desk} if action == "call_ticket" else {}
            getattr(tickets, action)(s, site_id=office.site_id, ticket_id=t.id, now=NOW, **kw)
            s.commit()

    def one(_i):
        with database.write_session() as s:
            answer(s, s.get(Ticket, t.id), rating=5, comment=None)
            s.commit()

    assert race(8, one, AlreadyAnswered) == ["lost"] * 7 + ["won"]
    with database.session() as s:
        assert s.exec(select(func.count()).select_from(SurveyAnswer)).one() == 1


def test_the_sqlite_files_are_for_the_server_user_only(tmp_path):
    from sqlalchemy import text as sql

    db = Database(f"sqlite:///{tmp_path / 'private' / 'a.db'}")
    try:
        with db.write_session() as s:
            s.execute(sql("CREATE TABLE t (x INTEGER)"))
            s.execute(sql("INSERT INTO t VALUES (1)"))
            s.commit()
        made = sorted(p.name for p in (tmp_path / "private").iterdir())
        assert "a.db" in made and "a.db-wal" in made
        for name in made:
            assert (tmp_path / "private" / name).stat().st_mode & 0o777 == 0o600, name
    finally:
        db.dispose()
