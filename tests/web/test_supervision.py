"""Supervision and statistics pages: supervisors of their own site only; figures equal accueil.stats."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from accueil import supervision as rules
from accueil import tickets
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.models import Desk, Device, SurveyAnswer
from accueil.stats import compute, to_csv
from tests.conftest import make_nir, set_daytime_zone
from tests.web.test_console import Console, db, site_id

DAY = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
PAGES = ["/agent/supervision", "/agent/supervision/fragment", "/agent/statistics", "/agent/statistics.csv"]


def _zone_desk(app, slug="chaumont"):
    with db(app).session() as s:
        return s.exec(select(Desk).where(Desk.site_id == site_id(app, slug), Desk.name == "Espace numérique")).one().id


def _visit(app, i, at, wait, service=10):
    sid, desk = site_id(app, "chaumont"), _zone_desk(app)
    with db(app).write_session() as s:
        t = check_in(s, app.extensions["accueil.vault"], site_id=sid, has_appointment=False, nir=make_nir(i), now=at).ticket
        s.commit()
    for fn, minutes, kw in ((tickets.call_ticket, wait, {"desk_id": desk}), (tickets.start, wait + 1, {}),
                            (tickets.finish, wait + 1 + service, {})):
        with db(app).write_session() as s:
            fn(s, site_id=sid, ticket_id=t.id, now=at + timedelta(minutes=minutes), **kw)
            s.commit()
    return t


@pytest.fixture
def history(app):
    _visit(app, 1, DAY, wait=5)
    _visit(app, 2, DAY + timedelta(minutes=1), wait=20)
    _visit(app, 3, DAY + timedelta(hours=1), wait=21, service=30)
    with db(app).write_session() as s:
        s.add_all([SurveyAnswer(site_id=site_id(app, "chaumont"), service_day=DAY.date(), queue_letter="N", rating=r)
                   for r in (5, 4)])
        s.commit()
    return app


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_login(app, path):
    r = app.test_client().get(path)
    assert r.status_code == 303 and "/agent/login" in r.headers["Location"]


@pytest.mark.parametrize("path", PAGES)
def test_a_plain_agent_is_refused(app, path):
    assert Console(app, "agent.chaumont").get(path).status_code == 403


def test_a_supervisor_sees_only_their_site(history):
    app = history
    a = Console(app, "superviseur.chaumont")
    b = Console(app, "superviseur.saint-dizier")
    query = "?from=2026-11-20&to=2026-11-20"
    page_a = a.get("/agent/statistics" + query).get_data(as_text=True)
    page_b = b.get("/agent/statistics" + query).get_data(as_text=True)
    assert '<td id="ind-visits">3</td>' in page_a
    assert '<td id="ind-visits">0</td>' in page_b
    # The site comes from the session: no parameter reaches another site.
    assert '<td id="ind-visits">0</td>' in b.get("/agent/statistics" + query + "&site=chaumont").get_data(as_text=True)
    sup_b = b.get("/agent/supervision").get_data(as_text=True)
    assert "Saint" in sup_b and "Chaumont" not in sup_b


def test_figures_match_the_domain_and_the_csv_export(history):
    app = history
    a = Console(app, "superviseur.chaumont")
    with db(app).session() as s:
        fig = compute(s, site_id=site_id(app, "chaumont"), start=DAY.date(), end=DAY.date())
    assert (fig.visits, fig.within_target) == (3, 2)
    html = a.get("/agent/statistics?from=2026-11-20&to=2026-11-20").get_data(as_text=True)
    assert f'<td id="ind-tickets">{fig.tickets}</td>' in html
    share = f"{fig.share_within_target * 100:.1f}".replace(".", ",")
    assert f"{share}\xa0% ({fig.within_target})" in html  # French: a decimal comma, a space before %
    assert "Du 20 novembre 2026 au 20 novembre 2026" in html
    assert f'<td id="ind-noshows">{fig.no_shows}</td>' in html
    assert 'role="img"' in html and "<title" in html and 'id="chart-waits-table"' in html
    assert (fig.by_agent == {}) == ('<td colspan="4">' in html)
    r = a.get("/agent/statistics.csv?from=2026-11-20&to=2026-11-20")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.get_data(as_text=True) == to_csv(fig)
    assert "attachment" in r.headers["Content-Disposition"]
    # One queue only.
    with db(app).session() as s:
        fig_r = compute(s, site_id=site_id(app, "chaumont"), start=DAY.date(), end=DAY.date(), queue_letter="R")
    assert a.get("/agent/statistics.csv?from=2026-11-20&to=2026-11-20&queue=R").get_data(as_text=True) == to_csv(fig_r)


@pytest.mark.parametrize("query", ["from=2026-13-01", "from=hier", "from=2026-11-20&to=2026-11-01",
                                   "from=2020-01-01&to=2026-01-01", "queue=Z", "from=2026-02-30"])
def test_bad_periods_give_a_clear_message(app, query):
    a = Console(app, "superviseur.chaumont")
    r = a.get("/agent/statistics?" + query)
    assert r.status_code == 400
    assert 'id="stats-error"' in r.get_data(as_text=True)
    r = a.get("/agent/statistics.csv?" + query)
    assert r.status_code == 400 and r.mimetype == "text/plain" and r.get_data(as_text=True).strip()


def test_live_page_shows_waits_desks_share_and_alerts(app):
    sid = site_id(app, "chaumont")
    now = utcnow()
    set_daytime_zone(db(app), sid)  # 25 minutes ago must be today on the site's clock (CI runs at night)
    with db(app).write_session() as s:
        check_in(s, app.extensions["accueil.vault"], site_id=sid, has_appointment=False, nir=make_nir(7),
                 now=now - timedelta(minutes=25))
        s.add(Device(site_id=sid, kind="kiosk", label="Borne entrée", enrolled_at=now - timedelta(days=1),
                     last_seen_at=now - timedelta(minutes=5)))
        s.add(Device(site_id=sid, kind="kiosk", label="Écran salle", enrolled_at=now - timedelta(days=1),
                     last_seen_at=now))
        s.commit()
    html = Console(app, "superviseur.chaumont").get("/agent/supervision").get_data(as_text=True)
    assert "attend depuis 25 minutes" in html or "attend depuis 24 minutes" in html
    assert "Borne entrée" in html and "Écran salle" not in html
    assert 'id="sup-desk-' in html and 'id="sup-longest"' in html and 'id="sup-share"' in html
    with db(app).session() as s:
        picture = rules.picture(s, site_id=sid, now=now)
    assert sum(q.waiting for q in picture.queues) >= 1 and picture.longest_minutes >= 25
    assert [d.label for d in picture.offline] == ["Borne entrée"]


def test_heartbeat_writes_at_most_every_twenty_seconds(app):
    sid = site_id(app, "chaumont")
    now = utcnow()
    with db(app).write_session() as s:
        d = Device(site_id=sid, kind="kiosk", label="B", enrolled_at=now)
        s.add(d)
        s.flush()
        assert rules.heartbeat(s, d, now=now) is True
        assert rules.heartbeat(s, d, now=now + timedelta(seconds=10)) is False
        assert rules.heartbeat(s, d, now=now + timedelta(seconds=21)) is True
        assert rules.offline_devices(s, site_id=sid, now=now + timedelta(seconds=80)) == []
        assert [o.label for o in rules.offline_devices(s, site_id=sid, now=now + timedelta(seconds=82))] == ["B"]


def test_an_enrolled_kiosk_fetching_its_qr_is_seen(app):
    from accueil.devices import create_enrolment
    from accueil.models import Device as D

    sid = site_id(app, "chaumont")
    with db(app).write_session() as s:
        _device, token = create_enrolment(s, site_id=sid, kind="kiosk", label="Borne test", now=utcnow())
        s.commit()
    c = app.test_client()
    page = c.get(f"/appareil/{token}").get_data(as_text=True)
    import re
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert c.post(f"/appareil/{token}", data={"csrf_token": csrf}).status_code in (302, 303)
    with db(app).session() as s:
        assert "Borne test" in [o.label for o in rules.offline_devices(s, site_id=sid, now=utcnow())]
    assert c.get("/kiosk/chaumont/qr.svg").status_code == 200
    with db(app).session() as s:
        seen = s.exec(select(D).where(D.label == "Borne test")).one().last_seen_at
        assert seen is not None
        assert "Borne test" not in [o.label for o in rules.offline_devices(s, site_id=sid, now=utcnow())]


@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_statistics_are_written_as_the_readers_language_writes_them(history, lang):
    from babel.dates import format_date
    from babel.numbers import format_decimal

    app = history
    a = Console(app, "superviseur.chaumont")
    a.client.set_cookie("lang", lang)
    with db(app).session() as s:
        fig = compute(s, site_id=site_id(app, "chaumont"), start=DAY.date(), end=DAY.date())
    html = a.get("/agent/statistics?from=2026-11-20&to=2026-11-20").get_data(as_text=True)
    assert format_date(DAY.date(), format="long", locale=lang) in html
    assert format_decimal(fig.wait_median, format="#,##0.0", locale=lang) in html
    assert "2026-11-20 au" not in html and "au 2026-11-20" not in html  # never the ISO form in the caption
