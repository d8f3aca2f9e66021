"""« Pièces à fournir » as domain rules, on both engines: the catalogue, reading an agent's request, giving a list,
what the visitor's link shows, its expiry and the purge, the figures."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from accueil import documents, notices
from accueil.audiences import phone_fields
from accueil.checkin import check_in
from accueil.errors import InvalidInput, NotFound
from accueil.models import Checklist, ChecklistItem, Notice, Site, Ticket
from accueil.retention import purge
from accueil.site_state import read
from tests.conftest import NOW, act, issue, make_nir, table_counts

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)


def ask(*keys, phrases=None, due=""):
    return documents.read_request(list(keys), phrases or {}, due, offered=list(documents.CATALOGUE), today=TODAY)


def test_the_network_catalogue_holds_25_documents_each_with_words_and_a_pictogram_of_the_set():
    assert len(documents.CATALOGUE) == 25 and len(documents.NETWORK) == 25  # keys are unique
    icons = ROOT / "node_modules" / "@tabler" / "icons" / "icons" / "outline"
    for d in documents.CATALOGUE:
        assert d.name and d.description and not d.own
        assert (icons / f"{d.pictogram}.svg").is_file(), d.pictogram
    for name in documents.PICTOGRAMS:
        assert (icons / f"{name}.svg").is_file(), name
    assert len({d.pictogram for d in documents.CATALOGUE}) == 25  # each its own picture


def test_a_request_is_read_in_the_catalogues_order_with_its_phrases_and_date():
    request = ask("rib", "avis-impot", phrases={"avis-impot": "annee-derniere", "rib": ""}, due="2026-12-10")
    assert request.items == (("avis-impot", "annee-derniere"), ("rib", None))
    assert request.due_on == date(2026, 12, 10)
    assert ask("rib", "rib").items == (("rib", None),)  # a double tick is one document


@pytest.mark.parametrize(("keys", "phrases", "due", "field"), [
    ((), {}, "", "documents"),
    (("passeport-lunaire",), {}, "", "documents"),
    (("rib", None), {}, "", "documents"),
    (("rib",), {"rib": "écrivez ce que vous voulez"}, "", "phrase-rib"),
    (("rib",), {}, "2026-11-25", "due_on"),
    (("rib",), {}, "2028-01-01", "due_on"),
    (("rib",), {}, "2026-02-30", "due_on"),
    (("rib",), {}, "٢٠٢٦-١٢-١٠", "due_on"),
    (("rib",), {}, "10/12/2026\x00", "due_on"),
])
def test_a_bad_request_is_refused_naming_its_field(keys, phrases, due, field):
    with pytest.raises(InvalidInput) as refused:
        ask(*keys, phrases=phrases, due=due)
    assert refused.value.field == field


def test_a_hidden_document_is_not_offered_and_a_sites_own_is(database, office):
    with database.write_session() as s:
        documents.set_hidden(s, site_id=office.site_id, key="facture-ehpad", hidden=True)
        own = documents.add_own(s, site_id=office.site_id, name="  Attestation  de la mairie ", description="",
                                pictogram="mail")
        s.commit()
    with database.session() as s:
        offered = documents.site_catalogue(s, office.site_id)
    keys = [d.key for d in offered]
    assert "facture-ehpad" not in keys and len(keys) == 25 and keys[-1] == own.key == "site-1"
    assert offered[-1].name == "Attestation de la mairie" and offered[-1].own
    with database.write_session() as s:
        documents.set_hidden(s, site_id=office.site_id, key="facture-ehpad", hidden=False)
        documents.set_hidden(s, site_id=office.site_id, key="site-1", hidden=True)
        s.commit()
    with database.session() as s:
        assert [d.key for d in documents.site_catalogue(s, office.site_id)] == [d.key for d in documents.CATALOGUE]


@pytest.mark.parametrize(("name", "pictogram"), [("", "mail"), ("Un papier", "skull"), ("x" * 81, "mail"),
                                                 ("Nul\x00", "mail")])
def test_a_sites_own_document_needs_a_name_and_a_pictogram_of_the_set(database, office, name, pictogram):
    before = table_counts(database)
    with pytest.raises(InvalidInput), database.write_session() as s:
        documents.add_own(s, site_id=office.site_id, name=name, description="", pictogram=pictogram)
    assert table_counts(database) == before


def give(database, ticket_id, site_id, request=None, link=None, now=NOW):
    return act(database, documents.give, site_id=site_id, ticket_id=ticket_id,
               request=request or ask("avis-impot", "rib", phrases={"rib": "copie"}, due="2026-12-10"),
               link=link, now=now)


def test_a_list_given_names_nobody_and_reaches_the_tickets_page(database, vault, office):
    ticket = issue(database, vault, office, 1)
    checklist = give(database, ticket.id, office.site_id)
    with database.session() as s:
        row = s.get(Checklist, checklist.id)
        items = s.exec(select(ChecklistItem).where(ChecklistItem.checklist_id == row.id)).all()
        fresh = s.get(Ticket, ticket.id)
        state = read(s, office.site_id, now=NOW)
    # Document kinds, dates, phrases, the queue for the figures: nothing about the person.
    assert {c for c in Checklist.model_fields} == {"id", "secret", "site_id", "queue_id", "service_day", "created_at",
                                                     "expires_at", "due_on"}
    assert [(i.key, i.phrase) for i in items] == [("avis-impot", None), ("rib", "copie")]
    assert row.expires_at - row.created_at == timedelta(days=30) and len(row.secret) >= 40
    assert fresh.checklist == row.secret
    [active] = [t for t, _a in state.active if t.id == ticket.id]
    assert phone_fields(state, active, None)["documents"] == row.secret  # the page shows it, live


def test_the_visitors_link_shows_the_list_until_it_expires_then_nothing(database, vault, office):
    ticket = issue(database, vault, office, 2)
    checklist = give(database, ticket.id, office.site_id)
    with database.session() as s:
        shown = documents.given(s, checklist.secret, now=NOW + timedelta(days=29))
        assert [(d.key, p) for d, p in shown.items] == [("avis-impot", None), ("rib", "copie")]
        assert shown.due_on == date(2026, 12, 10) and shown.how is None
        assert documents.given(s, checklist.secret, now=NOW + timedelta(days=30)) is None
        for forged in (None, "", "x" * 43, checklist.secret[:-1] + "!", checklist.secret + "x" * 5, "é" * 30):
            assert documents.given(s, forged, now=NOW) is None


def test_the_purge_unlinks_the_ticket_and_expiry_erases_the_secret_but_keeps_the_figures(database, vault, office):
    ticket = issue(database, vault, office, 3)
    checklist = give(database, ticket.id, office.site_id)
    act(database, purge, now=NOW + timedelta(days=1))
    with database.session() as s:
        assert s.get(Ticket, ticket.id).checklist is None  # the person is no longer linked to it…
        assert s.get(Checklist, checklist.id).secret == checklist.secret  # …but their own link still works
    act(database, purge, now=NOW + timedelta(days=31))
    with database.session() as s:
        assert s.get(Checklist, checklist.id).secret is None
        assert documents.given(s, checklist.secret, now=NOW + timedelta(days=31)) is None
        figures = documents.asked(s, site_id=office.site_id, start=TODAY, end=TODAY)
    assert [(a.key, a.total, a.queues) for a in figures] == [("avis-impot", 1, {"N": 1}), ("rib", 1, {"N": 1})]
    assert figures[0].weeks == {date(2026, 11, 23): 1}  # the Monday of its week


def test_only_todays_tickets_of_the_site_are_given_a_list(database, vault, office):
    ticket = issue(database, vault, office, 4)
    before = table_counts(database)
    for site_id, ticket_id, now in ((office.site_id + 1, ticket.id, NOW), (office.site_id, ticket.id + 99, NOW),
                                    (office.site_id, ticket.id, NOW + timedelta(days=1))):
        with pytest.raises(NotFound):
            give(database, ticket_id, site_id, now=now)
    assert table_counts(database) == before


def test_a_visitor_who_chose_sms_is_sent_the_lists_address_once_per_list(database, vault, office):
    with database.write_session() as s:
        ticket = check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(5),
                          phone="06 12 34 56 78", now=NOW).ticket
        s.commit()
    give(database, ticket.id, office.site_id, link=lambda secret: f"https://accueil.example/pieces/{secret}")
    give(database, ticket.id, office.site_id, link=lambda secret: f"https://accueil.example/pieces/{secret}")
    with database.session() as s:
        sent = s.exec(select(Notice).where(Notice.ticket_id == ticket.id).order_by(Notice.round)).all()
        secret = s.get(Ticket, ticket.id).checklist
    assert [(n.kind, n.round, n.channel) for n in sent] == [(notices.DOCUMENTS, 0, "sms"), (notices.DOCUMENTS, 1, "sms")]
    assert sent[1].link == f"https://accueil.example/pieces/{secret}"
    with database.session() as s:
        done = s.get(Ticket, ticket.id)
    done.status = "done"  # a list is worth sending whatever the ticket's state (a call's message is not)
    assert notices.still_true(sent[1], done, TODAY) is None


def test_how_to_send_and_the_lists_life_are_the_sites_settings(database, office):
    with database.write_session() as s:
        documents.set_how(s, site_id=office.site_id, how="Déposez-les dans la boîte\naux lettres.", days="45")
        s.commit()
    with database.session() as s:
        site = s.get(Site, office.site_id)
        assert (site.documents_how, site.documents_days) == ("Déposez-les dans la boîte\naux lettres.", 45)
    for days in ("0", "366", "trente", "٣٠", ""):
        with pytest.raises(InvalidInput) as refused, database.write_session() as s:
            documents.set_how(s, site_id=office.site_id, how="", days=days)
        assert refused.value.field == "documents_days"
