"""The demo's past visits: anonymous, on working days only, loaded once, and the statistics read them."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from accueil import documents, stats
from accueil.clock import service_day
from accueil.demo import load_demo, load_history
from accueil.models import Checklist, Site, Ticket
from tests.conftest import NOW


def test_past_visits_fill_the_statistics_once_and_hold_no_personal_data(database, vault):
    with database.write_session() as s:
        load_demo(s, vault, now=NOW)
        added = load_history(s, now=NOW, weeks=2)
        again = load_history(s, now=NOW, weeks=2)
        s.commit()
    assert added > 100 and again == 0
    today = service_day(NOW)
    with database.session() as s:
        days = set(s.exec(select(Ticket.service_day)).all())
        assert days and all(d.weekday() < 5 and today - timedelta(days=14) <= d < today for d in days)
        assert s.exec(select(func.count()).select_from(Ticket).where(
            (Ticket.nir_enc != None) | (Ticket.phone_enc != None) | (Ticket.nir_hash != None))).one() == 0  # noqa: E711
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        fig = stats.compute(s, site_id=site.id, start=today - timedelta(days=14), end=today)
    assert fig.visits > 50 and fig.no_shows > 0 and 0.3 < fig.share_within_target < 1
    assert max(fig.arrivals_by_hour, key=fig.arrivals_by_hour.get) in (8, 9, 10)  # the morning rush
    assert sum(fig.satisfaction.values()) > 0 and fig.by_agent
    with database.session() as s:
        asked = documents.asked(s, site_id=site.id, start=today - timedelta(days=14), end=today)
        assert s.exec(select(func.count()).select_from(Checklist).where(Checklist.secret != None)).one() == 0  # noqa: E711
    assert asked and asked[0].total > asked[-1].total and len(asked[0].weeks) >= 2  # some asked more than others
