"""What a waiting-room display and the API may receive (accueil.audiences), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from accueil import audiences, site_state, tickets
from accueil.checkin import check_in
from accueil.events import TicketEvent
from accueil.models import Site
from tests.conftest import NOW, make_nir

CALL_KEYS = {"key", "code", "letter", "place", "kind", "at", "time"}


def issue(db, vault, office, n, *, appointment=True, start=0):
    with db.write_session() as s:
        for i in range(start, start + n):
            check_in(s, vault, site_id=office.site_id, has_appointment=appointment, nir=make_nir(i),
                     phone="0612345678", now=NOW)
        s.commit()


def recorded(db):
    events = []
    db.bus.subscribe(events.append)
    return events


def snapshot(s, site_id, now=NOW):
    return audiences.display_snapshot(site_state.read(s, site_id, now=now), now=now)


def test_an_empty_day_shows_no_call_and_zero_counts(database, office):
    with database.session() as s:
        snap = snapshot(s, office.site_id)
    assert snap == {"v": 0, "site": "Chaumont", "tz": "Europe/Paris", "now": NOW.isoformat(), "calls": [],
                    "waiting": [{"letter": "N", "name": "Espace numérique", "count": 0},
                                {"letter": "R", "name": "Rendez-vous", "count": 0}],
                    "messages": [], "idle_after": audiences.IDLE_AFTER_SECONDS,
                    "message_seconds": audiences.MESSAGE_SECONDS}


def test_the_snapshot_lists_the_last_calls_newest_first_with_where_to_go(database, vault, office):
    issue(database, vault, office, 3)
    issue(database, vault, office, 2, appointment=False, start=10)
    with database.write_session() as s:
        r1 = tickets.call_next(s, site_id=office.site_id, desk_id=office.desk1, now=NOW)
        tickets.call_next(s, site_id=office.site_id, desk_id=office.zone_desk, now=NOW + timedelta(minutes=1))
        tickets.recall(s, site_id=office.site_id, ticket_id=r1.id, now=NOW + timedelta(minutes=2))
        s.commit()
    with database.session() as s:
        snap = snapshot(s, office.site_id)
        version = s.get(Site, office.site_id).version
    assert snap["v"] == version == 8
    assert [(c["code"], c["place"], c["kind"], c["time"]) for c in snap["calls"]] == [
        ("R001", "Bureau 1", "recalled", "10:02"), ("N001", "Espace numérique", "called", "10:01"),
        ("R001", "Bureau 1", "called", "10:00")]
    assert [c["key"] for c in snap["calls"]] == ["R001:8", "N001:7", "R001:6"]
    assert all(set(c) == CALL_KEYS for c in snap["calls"])
    assert snap["waiting"] == [{"letter": "N", "name": "Espace numérique", "count": 1},
                               {"letter": "R", "name": "Rendez-vous", "count": 2}]


def test_the_list_of_calls_is_bounded_and_only_of_the_day(database, vault, office):
    issue(database, vault, office, site_state.LAST_CALLS + 3)
    with database.write_session() as s:
        for _ in range(site_state.LAST_CALLS + 3):
            t = tickets.call_next(s, site_id=office.site_id, desk_id=office.desk1, now=NOW)
            tickets.start(s, site_id=office.site_id, ticket_id=t.id, now=NOW)
            tickets.finish(s, site_id=office.site_id, ticket_id=t.id, now=NOW)
        s.commit()
    with database.session() as s:
        today = snapshot(s, office.site_id)
        tomorrow = snapshot(s, office.site_id, now=NOW + timedelta(days=1))
    assert len(today["calls"]) == site_state.LAST_CALLS and today["calls"][0]["code"] == f"R{site_state.LAST_CALLS + 3:03d}"
    assert tomorrow["calls"] == [] and tomorrow["v"] == today["v"]


def test_a_batch_of_events_becomes_one_public_update_listing_its_calls_in_order(database, vault, office):
    events = recorded(database)
    issue(database, vault, office, 2)
    with database.write_session() as s:
        t = tickets.call_next(s, site_id=office.site_id, desk_id=office.desk2, now=NOW)
        tickets.recall(s, site_id=office.site_id, ticket_id=t.id, now=NOW)
        tickets.transfer(s, site_id=office.site_id, ticket_id=t.id, queue_id=office.n, now=NOW)
        s.commit()
    with database.session() as s:
        state = site_state.read(s, office.site_id, now=NOW)
    update = audiences.display_update(state, list(reversed(events)), since=2)
    assert update["v"] == state.version == events[-1].version and update["from"] == 2
    assert [c["kind"] for c in update["calls"]] == ["called", "recalled"]
    assert update["calls"][0] == {"key": f"R001:{events[2].version}", "code": "R001", "letter": "R",
                                  "place": "Bureau 2", "kind": "called", "at": NOW.isoformat(), "time": "10:00"}
    assert set(update) == {"v", "from", "waiting", "calls"}
    # Counts are those of the state the update is built from (here: after everything).
    assert update["waiting"] == [{"letter": "N", "name": "Espace numérique", "count": 1},
                                 {"letter": "R", "name": "Rendez-vous", "count": 1}]
    quiet = audiences.display_update(state, events[:2], since=0)
    assert quiet["calls"] == [] and quiet["waiting"] == update["waiting"]


def test_nothing_personal_or_secret_reaches_a_payload(database, vault, office):
    events = recorded(database)
    issue(database, vault, office, 1)
    with database.write_session() as s:
        tickets.call_next(s, site_id=office.site_id, desk_id=office.desk1, now=NOW)
        s.commit()
    with database.session() as s:
        state = site_state.read(s, office.site_id, now=NOW)
        text = repr(audiences.display_update(state, events, since=0)) + repr(snapshot(s, office.site_id))
        text += repr(audiences.api_queues(state, slug="chaumont", now=NOW))
    event = events[-1]
    assert isinstance(event, TicketEvent)
    for secret in (event.public_id, make_nir(0), "0612345678", "+33612345678", "ticket_id", "desk_id", "public_id"):
        assert secret not in text


def test_the_phone_says_one_phrase_per_line_as_the_wait_stands():
    """The waiting text's one rule: which phrase each line of the visitor's page says."""
    says = audiences.says
    assert says(None, None, 1) == {"ahead": None, "estimate": None, "round": None}  # called, or not today
    assert says(0, None, 1) == {"ahead": "next", "estimate": "unknown", "round": None}  # no desk open
    assert says(3, {"low": 0, "high": 5, "long": False}, 1)["estimate"] == "under"
    assert says(3, {"low": 10, "high": 20, "long": False}, 1) == {"ahead": "ahead", "estimate": "between",
                                                                   "round": None}
    assert says(40, {"low": 120, "high": 120, "long": True}, 1)["estimate"] == "long"
    assert says(40, {"low": 60, "high": 120, "long": True}, 1)["estimate"] == "between"  # a range is still said
    assert says(None, None, 2)["round"] == "round"  # « 2e appel »
