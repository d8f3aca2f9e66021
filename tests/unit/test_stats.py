"""Figures on a generated history with known answers (the CNAF 20-minute indicator first)."""
from datetime import date, datetime, timedelta, timezone

import pytest

from accueil import tickets
from accueil.checkin import check_in
from accueil.errors import InvalidInput, NotFound
from accueil.models import SurveyAnswer
from accueil.retention import purge
from accueil.stats import compute
from tests.conftest import make_nir

DAY = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)  # 09:00 in Paris


def arrive(db, vault, office, i, at, appointment=False):
    with db.write_session() as s:
        t = check_in(s, vault, site_id=office.site_id, has_appointment=appointment, nir=make_nir(i), now=at).ticket
        s.commit()
    return t


def step(db, office, fn, ticket, at, **kw):
    with db.write_session() as s:
        fn(s, site_id=office.site_id, ticket_id=ticket.id, now=at, **kw)
        s.commit()


def visit(db, vault, office, i, at, wait, service=10, desk=None):
    desk = desk or office.zone_desk
    t = arrive(db, vault, office, i, at)
    step(db, office, tickets.call_ticket, t, at + timedelta(minutes=wait), desk_id=desk)
    step(db, office, tickets.start, t, at + timedelta(minutes=wait + 1))
    step(db, office, tickets.finish, t, at + timedelta(minutes=wait + 1 + service))
    return t


def figures(db, office, start=date(2026, 11, 26), end=date(2026, 11, 26), **kw):
    with db.session() as s:
        return compute(s, site_id=office.site_id, start=start, end=end, **kw)


@pytest.fixture
def history(database, vault, office):
    visit(database, vault, office, 1, DAY, wait=5)                                # within
    visit(database, vault, office, 2, DAY + timedelta(minutes=1), wait=20)        # exactly 20: within
    visit(database, vault, office, 3, DAY + timedelta(hours=1), wait=21, service=30)  # over
    visit(database, vault, office, 1, DAY + timedelta(hours=2), wait=45)          # same person again: 2nd visit
    no_show = arrive(database, vault, office, 4, DAY + timedelta(hours=2))
    step(database, office, tickets.call_ticket, no_show, DAY + timedelta(hours=3), desk_id=office.zone_desk)
    step(database, office, tickets.no_show, no_show, DAY + timedelta(hours=3, minutes=5))
    cancelled = arrive(database, vault, office, 5, DAY + timedelta(hours=4))
    step(database, office, tickets.cancel, cancelled, DAY + timedelta(hours=4, minutes=10))
    arrive(database, vault, office, 6, DAY + timedelta(hours=5))                 # never called
    with database.write_session() as s:
        s.add_all([SurveyAnswer(site_id=office.site_id, service_day=date(2026, 11, 26), queue_letter="N", rating=r)
                   for r in (5, 4, 4)])
        s.commit()
    return database


def test_the_cnaf_indicator_and_the_other_figures(history, office):
    f = figures(history, office)
    assert (f.tickets, f.visits, f.within_target, f.left_without_contact, f.no_shows) == (7, 4, 2, 3, 1)
    assert f.share_within_target == 0.5
    assert f.arrivals_by_hour[9] == 2 and f.arrivals_by_hour[10] == 1 and f.arrivals_by_hour[11] == 2
    assert (f.arrivals_by_hour[12], f.arrivals_by_hour[13], f.arrivals_by_hour[14]) == (0, 1, 1)
    assert sum(f.arrivals_by_hour.values()) == 7
    assert dict(f.wait_buckets) == {"0–5 min": 0, "5–10 min": 1, "10–15 min": 0, "15–20 min": 0, "20–30 min": 2,
                                    "30–45 min": 0, "45–60 min": 1, "≥ 60 min": 0}
    assert f.wait_median == 20.5 and f.wait_mean == pytest.approx((5 + 20 + 21 + 45) / 4)
    assert f.service_median == 10 and f.service_mean == 15
    assert f.satisfaction == {1: 0, 2: 0, 3: 0, 4: 2, 5: 1} and f.satisfaction_mean == pytest.approx(13 / 3)


def test_a_purge_changes_no_figure(history, office):
    before = figures(history, office)
    with history.write_session() as s:
        assert purge(s, now=DAY + timedelta(days=1)).tickets == 7
        s.commit()
    assert figures(history, office) == before


def test_a_queue_filter_and_an_empty_queue(history, office):
    assert figures(history, office, queue_letter="N").visits == 4
    r = figures(history, office, queue_letter="R")
    assert (r.tickets, r.visits, r.share_within_target) == (0, 0, None)


def test_arrival_hours_are_local_across_the_spring_change(database, vault, office):
    # 29 March 2026: clocks go from 02:00 to 03:00 in Paris. 06:30 UTC is 08:30 local (UTC+2).
    visit(database, vault, office, 1, datetime(2026, 3, 29, 6, 30, tzinfo=timezone.utc), wait=3)
    visit(database, vault, office, 2, datetime(2026, 3, 28, 7, 30, tzinfo=timezone.utc), wait=3)  # 08:30 (UTC+1)
    f = figures(database, office, start=date(2026, 3, 28), end=date(2026, 3, 29))
    assert f.arrivals_by_hour[8] == 2 and f.visits == 2


def test_bad_periods_and_places(database, office):
    with database.session() as s:
        with pytest.raises(InvalidInput):
            compute(s, site_id=office.site_id, start=date(2026, 11, 27), end=date(2026, 11, 26))
        with pytest.raises(InvalidInput):
            compute(s, site_id=office.site_id, start=date(2024, 1, 1), end=date(2026, 1, 1))
        with pytest.raises(NotFound):
            compute(s, site_id=999, start=date(2026, 11, 26), end=date(2026, 11, 26))
        with pytest.raises(NotFound):
            compute(s, site_id=office.site_id, start=date(2026, 11, 26), end=date(2026, 11, 26), queue_letter="Z")
