"""The JSON API: token scopes per site, and every response checked against the OpenAPI document."""
from __future__ import annotations

from datetime import date

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlmodel import func, select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from accueil.api_tokens import create
from accueil.clock import utcnow
from accueil.models import Appointment, Site
from api.openapi import DOCUMENT
from tests.conftest import make_nir

SPEC = OpenAPI.from_dict(DOCUMENT)  # also validates the document itself


@pytest.fixture
def api(client):
    """The test client, each response validated against the document."""

    class Checked:
        def __getattr__(self, method):
            def call(*args, **kw):
                response = getattr(client, method)(*args, **kw)
                sent = response.request  # its body is consumed: describe it again, without the body
                described = Request(EnvironBuilder(method=sent.method, path=sent.path,
                                                   query_string=sent.query_string.decode()).get_environ())
                SPEC.validate_response(WerkzeugOpenAPIRequest(described), WerkzeugOpenAPIResponse(response))
                return response

            return call

    return Checked()


def token(app, slug="chaumont", scopes=("appointments:write", "stats:read")):
    db = app.extensions["accueil.db"]
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        _, secret = create(s, site_id=site.id, scopes=list(scopes), now=utcnow())
        s.commit()
    return {"Authorization": f"Bearer {secret}"}


def appointments_count(app):
    with app.extensions["accueil.db"].session() as s:
        return s.exec(select(func.count()).select_from(Appointment)).one()


def test_the_document_is_served(api):
    r = api.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.json["openapi"] == "3.1.0"


def test_the_booking_system_pushes_appointments(app, api):
    before = appointments_count(app)
    body = {"appointments": [
        {"date": "2026-11-26", "heure": "09:20", "nir": make_nir(1), "type": "guichet", "bureau": "Bureau 1"},
        {"date": "2026-11-26", "heure": "09:40", "nir": "295109912611199", "type": "guichet"},
        {"date": "2026-11-26", "heure": "25:00", "nir": make_nir(2), "type": "lsf"},
    ]}
    r = api.post("/api/v1/sites/chaumont/appointments", json=body, headers=token(app))
    assert r.status_code == 200
    assert (r.json["created"], r.json["unchanged"]) == (1, 0)
    assert [(x["index"], x["field"]) for x in r.json["rejected"]] == [(2, "nir"), (3, "heure")]
    assert "295109912611199" not in r.get_data(as_text=True)
    again = api.post("/api/v1/sites/chaumont/appointments", json=body, headers=token(app))
    assert (again.json["created"], again.json["unchanged"]) == (0, 1)
    assert appointments_count(app) == before + 1


def test_tokens_are_scoped_to_their_site_and_rights(app, api):
    body = {"appointments": []}
    assert api.post("/api/v1/sites/chaumont/appointments", json=body).status_code == 401
    assert api.post("/api/v1/sites/chaumont/appointments", json=body,
                    headers={"Authorization": "Bearer acc_forged"}).status_code == 401
    other_site = token(app, "saint-dizier")
    assert api.post("/api/v1/sites/chaumont/appointments", json=body, headers=other_site).status_code == 403
    read_only = token(app, scopes=("stats:read",))
    assert api.post("/api/v1/sites/chaumont/appointments", json=body, headers=read_only).status_code == 403
    assert api.post("/api/v1/sites/langres/appointments", json=body, headers=read_only).status_code == 404


@pytest.mark.parametrize("body", [None, {"appointments": "x"}, {"appointments": [1, 2]}, {"other": []}])
def test_bad_bodies_get_a_clear_error(app, api, body):
    r = api.post("/api/v1/sites/chaumont/appointments", json=body, headers=token(app))
    assert r.status_code == 400 and r.json["error"] == "invalid_input"


def test_a_huge_body_is_refused(app, api):
    r = api.post("/api/v1/sites/chaumont/appointments", data="x" * (3 * 1024 * 1024),
                 content_type="application/json", headers=token(app))
    assert r.status_code == 413


def test_statistics(app, api):
    today = date.today().isoformat()
    r = api.get(f"/api/v1/sites/chaumont/statistics?from={today}&to={today}", headers=token(app))
    assert r.status_code == 200 and r.json["tickets"] == 0 and len(r.json["arrivals_by_hour"]) == 24
    bad = api.get(f"/api/v1/sites/chaumont/statistics?from=hier&to={today}", headers=token(app))
    assert bad.status_code == 400 and "AAAA-MM-JJ" in bad.json["message"]
    assert api.get(f"/api/v1/sites/chaumont/statistics?from={today}&to={today}&queue=Z",
                   headers=token(app)).status_code == 404
