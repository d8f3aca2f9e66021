"""Appointments pages of the console: upload of the booking system's CSV, the day's list with states."""
from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from sqlmodel import func, select

from accueil.clock import utcnow
from accueil.models import Appointment
from tests.conftest import make_nir
from tests.web.test_console import Console, db


def _csv(rows: list[str]) -> bytes:
    return ("date;heure;nir;type;agent;bureau;motif\n" + "\n".join(rows) + "\n").encode()


def _upload(console: Console, data: bytes):
    return console.client.post("/agent/appointments/import", content_type="multipart/form-data",
                               data={"csrf_token": console.token, "file": (io.BytesIO(data), "rdv.csv")})


def _count(app) -> int:
    with db(app).session() as s:
        return s.exec(select(func.count()).select_from(Appointment)).one()


def test_upload_good_and_bad_lines_then_same_file_again(app):
    sup = Console(app, "superviseur.chaumont")
    day = utcnow().astimezone(ZoneInfo("Europe/Paris")).date().isoformat()
    bad_nir = "1 85 01 75 056 001 00"
    data = _csv([f"{day};09:00;{make_nir(1)};guichet;agent.chaumont;;Logement",
                 f"{day};09:20;{make_nir(2)};lsf;;Bureau 1;",
                 f"{day};25:00;{make_nir(3)};guichet;;;",
                 f"{day};10:00;{bad_nir};guichet;;;"])
    before = _count(app)
    r = _upload(sup, data)
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html
    assert _count(app) == before + 2
    assert "Créés : 2" in html and "Refusés : 2" in html
    assert "Ligne 4" in html and "Ligne 5" in html
    assert bad_nir not in html and make_nir(1) not in html
    r = _upload(sup, data)
    assert "Inchangés : 2" in r.get_data(as_text=True)
    assert _count(app) == before + 2
    page = sup.get("/agent/appointments").get_data(as_text=True)
    assert page.count('data-state="expected"') + page.count('data-state="absent"') >= 2
    assert make_nir(1) not in page


def test_upload_refused_to_agents_and_anonymous(app):
    agent = Console(app, "agent.chaumont")
    before = _count(app)
    assert _upload(agent, _csv([])).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/agent/appointments/import").status_code in (302, 303)
    assert _count(app) == before


def test_the_day_list_is_live_through_its_fragment(app):
    agent = Console(app, "agent.chaumont")
    page = agent.get("/agent/appointments").get_data(as_text=True)
    assert 'id="appointments-region"' in page and "live_region.js" in page and "/agent/appointments/fragment" in page
    fragment = agent.get("/agent/appointments/fragment")
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert Console(app, None).get("/agent/appointments/fragment").status_code in (302, 303)
