"""« Pièces à fournir » over HTTP: the agent's form (bad input refused, nothing stored), the visitor's link in their
language, the ticket's page, the site's settings, the figures."""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext
from sqlmodel import select

from accueil import documents
from accueil.models import Checklist, Ticket
from tests.conftest import table_counts
from tests.web.test_console import Console, issue, site_id
from tests.web.test_kiosk import text_of

pytestmark = pytest.mark.both_engines


def form(console, ticket_id, **fields):
    return console.post(f"/agent/tickets/{ticket_id}/pieces", json=False, **fields)


def secret_of(app, ticket_id):
    with app.extensions["accueil.db"].session() as s:
        return s.get(Ticket, ticket_id).checklist


def test_the_agent_gives_a_list_and_the_visitors_link_shows_it_in_their_language(app):
    tid = issue(app, i=1)
    agent = Console(app, "agent.chaumont")
    page = agent.get(f"/agent/tickets/{tid}/pieces")
    assert page.status_code == 200 and text_of(page).count('name="documents"') == 25
    r = agent.client.post(f"/agent/tickets/{tid}/pieces", data={
        "csrf_token": agent.token, "documents": ["rib", "avis-impot"], "phrase-rib": "copie", "due_on": ""})
    assert r.status_code == 303
    secret = secret_of(app, tid)
    assert secret and "La liste est envoyée" in text_of(agent.get(r.headers["Location"]))
    visitor = app.test_client()
    shown = visitor.get(f"/pieces/{secret}")
    body = text_of(shown)
    assert shown.status_code == 200 and "Avis d'impôt" in body and "Une photocopie suffit." in body
    assert body.index("Avis d'impôt") < body.index("Relevé d'identité bancaire")  # the catalogue's order
    assert "<svg class=\"pictogram\"" in body and "caf.fr" in body
    visitor.get("/langue/uk")
    with app.test_request_context(), force_locale("uk"):
        name, phrase = gettext("Avis d'impôt"), gettext("Une photocopie suffit.")
    assert name != "Avis d'impôt"
    page = visitor.get(f"/pieces/{secret}")
    body = text_of(page)
    assert name in body and phrase in body and "Une photocopie suffit." not in body
    # The French name beside, marked as French: the visitor must find the paper they hold.
    assert '<bdi lang="fr" dir="ltr">Avis d&#39;impôt</bdi>' in page.get_data(as_text=True)
    with app.extensions["accueil.db"].session() as s:
        public_id = s.get(Ticket, tid).public_id
    ticket_page = text_of(app.test_client().get(f"/ticket/{public_id}"))
    assert f"/pieces/{secret}" in ticket_page


@pytest.mark.parametrize(("fields", "message"), [
    ({}, "Cochez au moins un papier."),
    ({"documents": "passeport-lunaire"}, "Ce papier n'est pas dans la liste."),
    ({"documents": "rib", "phrase-rib": "Monsieur X doit 300 €"}, "Cette précision n'existe pas."),
    ({"documents": "rib", "due_on": "2020-01-01"}, "Cette date est déjà passée."),
    ({"documents": "rib", "due_on": "demain"}, "Date illisible"),
    ({"documents": "rib\x00"}, "Ce papier n'est pas dans la liste."),
    ({"documents": "rib", "due_on": "<script>alert(1)</script>"}, "Date illisible"),
])
def test_bad_input_gets_a_message_beside_its_field_and_stores_nothing(app, fields, message):
    tid = issue(app, i=2)
    agent = Console(app, "agent.chaumont")
    before = table_counts(app.extensions["accueil.db"])
    r = form(agent, tid, **fields)
    assert r.status_code == 400 and message in text_of(r)
    assert "<script>alert(1)</script>" not in r.get_data(as_text=True)
    assert table_counts(app.extensions["accueil.db"]) == before and secret_of(app, tid) is None


def test_another_sites_ticket_an_unknown_one_or_an_anonymous_agent_gets_nothing(app):
    other = issue(app, slug="saint-dizier", i=3)
    agent = Console(app, "agent.chaumont")
    before = table_counts(app.extensions["accueil.db"])
    for tid in (other, 10**6, 2**63 - 1):
        assert agent.get(f"/agent/tickets/{tid}/pieces").status_code == 404
        assert form(agent, tid, documents="rib").status_code == 404
    assert agent.get("/agent/tickets/99999999999999999999999/pieces").status_code == 404
    anonymous = Console(app, None)
    assert anonymous.get(f"/agent/tickets/{other}/pieces").status_code in (302, 303)
    assert table_counts(app.extensions["accueil.db"]) == before


def test_an_unknown_or_expired_link_says_so_and_nothing_more(app):
    visitor = app.test_client()
    for secret in ("x" * 43, "<script>", "a" * 500, "%00"):
        r = visitor.get(f"/pieces/{secret}")
        assert r.status_code == 404 and "plus valable" in text_of(r)


def test_the_supervisor_sets_how_to_send_hides_a_document_and_adds_the_sites_own(app):
    boss = Console(app, "superviseur.chaumont")
    page = boss.get("/agent/configuration/documents")
    assert page.status_code == 200 and "Avis d'impôt" in text_of(page)
    assert boss.post("/agent/configuration/documents", json=False, documents_how="Déposez-les à l'accueil.",
                     documents_days="10").status_code == 303
    assert boss.post("/agent/configuration/documents/facture-ehpad/shown", json=False, shown="0").status_code == 303
    assert boss.post("/agent/configuration/documents/own", json=False, name="Attestation de la mairie",
                     description="", pictogram="mail").status_code == 303
    before = table_counts(app.extensions["accueil.db"])
    refused = boss.post("/agent/configuration/documents/own", json=False, name="", description="", pictogram="mail")
    assert refused.status_code == 400 and "Écrivez un nom." in text_of(refused)
    assert boss.post("/agent/configuration/documents", json=False, documents_how="",
                     documents_days="999").status_code == 400
    assert boss.post("/agent/configuration/documents/inconnu/shown", json=False, shown="0").status_code == 404
    assert table_counts(app.extensions["accueil.db"]) == before
    agent = Console(app, "agent.chaumont")
    tid = issue(app, i=4)
    offered = re.findall(r'name="documents" value="([^"]+)"', agent.get(f"/agent/tickets/{tid}/pieces").get_data(as_text=True))
    assert "facture-ehpad" not in offered and offered[-1] == "site-1"
    form(agent, tid, documents=["site-1", "rib"])
    shown = text_of(app.test_client().get(f"/pieces/{secret_of(app, tid)}"))
    assert "Attestation de la mairie" in shown and "Déposez-les à l'accueil." in shown
    with app.extensions["accueil.db"].session() as s:
        checklist = s.exec(select(Checklist)).one()
        assert (checklist.expires_at - checklist.created_at).days == 10
    assert Console(app, "agent.chaumont").get("/agent/configuration/documents").status_code == 403


def test_the_figures_show_which_documents_are_asked_for(app):
    agent = Console(app, "agent.chaumont")
    for i, docs in enumerate((["rib", "avis-impot"], ["rib"], ["rib", "bail"])):
        form(agent, issue(app, i=10 + i), documents=docs)
    with app.extensions["accueil.db"].session() as s:
        import datetime as dt
        figures = documents.asked(s, site_id=site_id(app, "chaumont"), start=dt.date(2000, 1, 1),
                                  end=dt.date(2100, 1, 1))
    assert [(a.key, a.total) for a in figures] == [("rib", 3), ("avis-impot", 1), ("bail", 1)]
    boss = Console(app, "superviseur.chaumont")
    page = text_of(boss.get("/agent/statistics"))
    assert "Papiers demandés" in page and "Relevé d'identité bancaire" in page
