"""Events reach subscribers after commit only, never after a rollback, with rising versions."""
from sqlmodel import select

from accueil import tickets
from accueil.checkin import check_in
from accueil.models import Ticket
from tests.conftest import NOW, make_nir


def test_events_are_published_after_commit_with_committed_state(database, vault, office):
    seen = []

    def subscriber(event):
        # What a subscriber reads from a fresh session is already committed.
        with database.session() as s:
            seen.append((event.kind, event.code, s.get(Ticket, event.ticket_id).status))

    database.bus.subscribe(subscriber)
    with database.write_session() as s:
        t = check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(1), now=NOW).ticket
        assert seen == []  # not before the commit
        s.commit()
    assert seen == [("issued", "N001", "waiting")]
    with database.write_session() as s:
        tickets.call_next(s, site_id=office.site_id, desk_id=office.zone_desk, now=NOW)
        tickets.recall(s, site_id=office.site_id, ticket_id=t.id, now=NOW)
        s.commit()
    assert seen[1:] == [("called", "N001", "called"), ("recalled", "N001", "called")]


def test_a_rollback_publishes_nothing(database, vault, office):
    seen = []
    database.bus.subscribe(seen.append)
    with database.write_session() as s:
        check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(1), now=NOW)
        s.rollback()
    with database.write_session() as s:
        check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(2), now=NOW)
        s.close()  # closing without commit rolls back too
    assert seen == []
    with database.session() as s:
        assert s.exec(select(Ticket)).all() == []


def test_each_event_carries_the_next_site_version(database, vault, office):
    seen = []
    database.bus.subscribe(seen.append)
    for i in range(3):
        with database.write_session() as s:
            check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(i), now=NOW)
            s.commit()
    assert [e.version for e in seen] == [1, 2, 3]
    assert all("nir" not in k and "phone" not in k for k in seen[0].as_dict())


def test_a_failing_subscriber_does_not_stop_the_others(database, vault, office):
    seen = []

    def broken(event):
        raise RuntimeError("boom")

    database.bus.subscribe(broken)
    database.bus.subscribe(seen.append)
    with database.write_session() as s:
        check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(1), now=NOW)
        s.commit()
    assert len(seen) == 1
