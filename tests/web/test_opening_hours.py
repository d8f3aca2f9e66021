"""The site's clock on the visitor's phone: opening hours (a closed office says when it opens, and still
gives a ticket) and the appointment time, both in the site's timezone."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from accueil import configuration as conf
from accueil.clock import utcnow
from tests.conftest import later_today, make_nir, table_counts
from tests.web.test_kiosk import form, present, site_id, text_of


def test_a_closed_office_says_when_it_opens_and_still_gives_a_ticket(app, client):
    """Lunch break or early arrival: the phone says so; the visitor still queues in arrival order."""
    sid = site_id(app)
    local = utcnow().astimezone(ZoneInfo("Europe/Paris"))
    minute = local.hour * 60 + local.minute
    if minute < 23 * 60:  # a period later today: « il ouvre à HH:MM »
        opens = minute + 30
        period, expected = f"{opens // 60:02d}:{opens % 60:02d}-23:59", f"Il ouvre à {opens // 60:02d}:{opens % 60:02d}"
    else:  # late evening: the day's only period is over
        period, expected = "08:00-09:00", "fermé pour aujourd'hui"
    with app.extensions["accueil.db"].write_session() as s:
        conf.set_opening_hours(s, site_id=sid, days={local.weekday(): period}, now=utcnow())
        s.commit()
    present(app, client)
    page = text_of(client.get("/k/chaumont?rdv=non"))  # unescaped: « aujourd'hui » has an apostrophe
    assert 'id="closed-notice"' in page and expected in page
    before = table_counts(app.extensions["accueil.db"])
    r = client.post("/k/chaumont", data={**form(client), "nir": make_nir(5)})
    assert r.status_code == 303 and table_counts(app.extensions["accueil.db"])["ticket"] == before["ticket"] + 1
    with app.extensions["accueil.db"].write_session() as s:
        conf.set_opening_hours(s, site_id=sid, days={local.weekday(): "00:00-23:59"}, now=utcnow())
        s.commit()
    assert 'id="closed-notice"' not in client.get("/k/chaumont?rdv=oui").get_data(as_text=True)


def test_the_appointment_time_is_told_on_the_sites_clock(app, client):
    """An overseas office (Cayenne, UTC-3): the visitor reads the time of their own wall clock."""

    from accueil.clock import service_day
    from accueil.models import Appointment, Site

    db = app.extensions["accueil.db"]
    cayenne = ZoneInfo("America/Cayenne")
    at = later_today(10, "America/Cayenne")
    nir = make_nir(41)
    with db.write_session() as s:
        site = s.get(Site, site_id(app))
        site.timezone = "America/Cayenne"
        s.add(site)
        s.add(Appointment(site_id=site.id, service_day=service_day(at, "America/Cayenne"), at=at, kind="desk",
                          nir_hash=app.extensions["accueil.vault"].hash_nir(nir)))
        s.commit()
    present(app, client)
    r = client.post("/k/chaumont", data={**form(client, rdv="oui"), "nir": nir})
    assert r.status_code == 303
    body = text_of(client.get(r.headers["Location"]))
    assert f"Votre rendez-vous est à {at.astimezone(cayenne):%H:%M}." in body
