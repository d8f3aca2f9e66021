"""The JSON API: token scopes per site, and every response checked against the OpenAPI document."""
from __future__ import annotations

from datetime import date

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlmodel import func, select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from accueil import desks, tickets
from accueil.api_tokens import create
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.models import Agent, Appointment, Desk, Site
from api.openapi import DOCUMENT
from tests.conftest import make_nir

SPEC = OpenAPI.from_dict(DOCUMENT)  # also validates the document itself
pytestmark = pytest.mark.both_engines


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


def token(app, slug="chaumont", scopes=("appointments:write", "queues:read", "stats:read")):
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


PHONE = "0612345678"


def issue(app, i, *, slug="chaumont", rdv=False):
    """Check person *i* in (with a phone) and return the ticket's link secret."""
    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        t = check_in(s, vault, site_id=site.id, has_appointment=rdv, nir=make_nir(i), phone=PHONE, now=utcnow()).ticket
        s.commit()
    return t.public_id


def open_zone_and_call(app):
    """Agent of Chaumont sits at the « Espace numérique » desk and calls the next visitor."""
    with app.extensions["accueil.db"].write_session() as s:
        agent = s.exec(select(Agent).where(Agent.login == "agent.chaumont")).one()
        desk = s.exec(select(Desk).where(Desk.site_id == agent.site_id, Desk.name == "Espace numérique")).one()
        desks.take(s, site_id=agent.site_id, desk_id=desk.id, agent_id=agent.id, now=utcnow())
        tickets.call_next(s, site_id=agent.site_id, desk_id=desk.id, agent_id=agent.id, now=utcnow())
        s.commit()


def assert_no_personal_data(response, *nirs):
    text = response.get_data(as_text=True)
    for secret in (*nirs, PHONE, "+33612345678"):
        assert secret not in text
    assert "nir" not in text.lower() and "phone" not in text.lower()


def test_a_ticket_link_tells_its_status_and_where_to_go_without_a_token(app, api):
    first, mine = issue(app, 1), issue(app, 2)
    r = api.get(f"/api/v1/tickets/{mine}")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert {k: r.json[k] for k in ("site", "code", "letter", "status", "ahead", "desk", "estimate")} == {
        "site": "chaumont", "code": "N002", "letter": "N", "status": "waiting", "ahead": 1, "desk": None,
        "estimate": None}  # nobody receives yet: no estimate rather than a made-up one
    assert_no_personal_data(r, make_nir(1), make_nir(2))
    assert first not in r.get_data(as_text=True) and mine not in r.get_data(as_text=True)

    open_zone_and_call(app)  # calls N001: ours is next, with seats open there is a range
    r = api.get(f"/api/v1/tickets/{mine}")
    assert r.json["ahead"] == 0 and r.json["estimate"]["high"] > 0
    called = api.get(f"/api/v1/tickets/{first}")
    assert called.json["status"] == "called" and called.json["desk"] == "Espace numérique"
    assert called.json["ahead"] is None and called.json["estimate"] is None


@pytest.mark.parametrize("link", ["inconnu", "x" * 32, "x" * 200, "%3Cscript%3E"])
def test_unknown_or_forged_links_get_a_json_404(app, api, link):
    issue(app, 1)
    r = api.get(f"/api/v1/tickets/{link}")
    assert r.status_code == 404 and r.json == {"error": "not_found", "message": "Ce ticket n'existe pas."}


def test_a_forged_link_close_to_a_real_one_finds_nothing(app, api):
    real = issue(app, 1)
    forged = real[:-1] + ("A" if real[-1] != "A" else "B")
    assert api.get(f"/api/v1/tickets/{forged}").status_code == 404


def test_the_queues_of_a_site_need_a_token_with_that_right(app, api):
    assert api.get("/api/v1/sites/chaumont/queues").status_code == 401
    assert api.get("/api/v1/sites/chaumont/queues", headers={"Authorization": "Bearer acc_forged"}).status_code == 401
    assert api.get("/api/v1/sites/chaumont/queues", headers=token(app, "saint-dizier")).status_code == 403
    assert api.get("/api/v1/sites/chaumont/queues", headers=token(app, scopes=("stats:read",))).status_code == 403
    assert api.get("/api/v1/sites/langres/queues", headers=token(app)).status_code == 404


def test_the_queues_show_what_the_display_shows(app, api):
    links = [issue(app, 1), issue(app, 2), issue(app, 3, rdv=True), issue(app, 4, slug="saint-dizier")]
    headers = token(app, scopes=("queues:read",))
    r = api.get("/api/v1/sites/chaumont/queues", headers=headers)
    assert r.status_code == 200 and r.json["site"] == "chaumont" and r.json["calls"] == []
    waiting = {q["letter"]: (q["waiting"], q["estimate"]) for q in r.json["queues"]}
    assert waiting == {"N": (2, None), "R": (1, None)}  # Saint-Dizier's visitor is not counted here

    open_zone_and_call(app)
    r = api.get("/api/v1/sites/chaumont/queues", headers=headers)
    queues = {q["letter"]: q for q in r.json["queues"]}
    assert queues["N"]["waiting"] == 1 and queues["N"]["estimate"]["high"] > 0
    newcomer = issue(app, 5)  # joins now: reads on their ticket the range the queue state gave
    assert api.get(f"/api/v1/tickets/{newcomer}").json["estimate"] == queues["N"]["estimate"]
    assert queues["R"]["estimate"] is None  # no appointment desk open
    assert [(c["code"], c["place"], c["kind"]) for c in r.json["calls"]] == [("N001", "Espace numérique", "called")]
    assert_no_personal_data(r, make_nir(1), make_nir(2), make_nir(3))
    assert not any(link in r.get_data(as_text=True) for link in links)


@pytest.fixture
def limited_app(tmp_path):
    from tests.live import demo_app

    app = demo_app(tmp_path / "limited", TESTING=True)
    yield app
    app.extensions["accueil.db"].dispose()


def test_ticket_links_are_rate_limited_per_address(limited_app):
    from api.views import TICKET_LIMIT

    client, allowed = limited_app.test_client(), int(TICKET_LIMIT.split()[0])
    answers = [client.get("/api/v1/tickets/inconnu").status_code for _ in range(allowed + 1)]
    assert answers == [404] * allowed + [429]
    r = client.get("/api/v1/tickets/inconnu")
    SPEC.validate_response(WerkzeugOpenAPIRequest(r.request), WerkzeugOpenAPIResponse(r))
    assert r.json["error"] == "http_error"
    other = limited_app.test_client().get("/api/v1/tickets/inconnu", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 404


def test_the_app_runs_on_the_engine_under_test(app, engine):
    assert app.extensions["accueil.db"].dialect == engine
