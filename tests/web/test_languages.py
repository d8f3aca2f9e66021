"""Eight languages for visitors, three for the staff: which page offers which, how a phone's language is chosen
and kept, and the messages sent to the phone in the language of the page the ticket was taken on."""
from __future__ import annotations

import re
import unicodedata

import pytest
from sqlmodel import select

from accueil import notices, tickets
from accueil.clock import utcnow
from accueil.i18n import STAFF_LOCALES, VISITOR_LOCALES
from accueil.models import Desk, Notice, Ticket
from notify import texts
from tests.conftest import make_nir
from tests.web.test_kiosk import form, present, site_id, tickets_of

SCRIPTS = {"ar": "ARABIC", "uk": "CYRILLIC"}
# A word each language's check-in page says that French does not (its « Vos numéros »), from the catalogues.
HEADINGS = {"fr": "Vos numéros", "en": "Your numbers", "ar": "أرقامك", "es": "Sus números", "pt": "Os seus números",
            "tr": "Numaralarınız", "ro": "Numerele dumneavoastră", "uk": "Ваші номери"}


def lang_of(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def language_links(response) -> list[str]:
    return re.findall(r'href="/langue/(\w+)\?', response.get_data(as_text=True))


def test_a_phone_opens_in_the_best_of_its_languages_among_the_eight(app, client):
    present(app, client)
    for header, expected in (("tr-TR,tr;q=0.9,en;q=0.5", "tr"), ("uk", "uk"), ("pt-BR,pt;q=0.9", "pt"),
                             ("ro-RO", "ro"), ("es-419,es;q=0.9", "es"), ("de-DE,de;q=0.9", "fr"), ("", "fr")):
        r = client.get("/k/chaumont?rdv=non", headers={"Accept-Language": header})
        assert r.status_code == 200 and lang_of(r) == expected, header
        assert HEADINGS[expected] in r.get_data(as_text=True)
        assert language_links(r) == list(VISITOR_LOCALES)


def test_the_chosen_language_is_kept_over_the_browsers(app, client):
    present(app, client)
    r = client.get("/langue/uk", query_string={"next": "/k/chaumont?rdv=oui"})
    assert r.status_code == 303 and r.headers["Location"] == "/k/chaumont?rdv=oui"
    page = client.get("/k/chaumont?rdv=oui", headers={"Accept-Language": "tr"})
    assert lang_of(page) == "uk" and HEADINGS["uk"] in page.get_data(as_text=True)


def test_the_staff_pages_speak_three_languages_whatever_a_visitor_chose(app, client):
    assert set(STAFF_LOCALES) < set(VISITOR_LOCALES)
    client.get("/langue/tr")
    r = client.get("/agent/login", headers={"Accept-Language": "tr, en;q=0.5"})
    assert lang_of(r) == "en" and language_links(r) == list(STAFF_LOCALES)
    r = client.get("/agent/login", headers={"Accept-Language": "tr"})
    assert lang_of(r) == "fr"
    client.get("/langue/ar")
    assert lang_of(client.get("/agent/login")) == "ar"


def test_a_ticket_taken_on_a_turkish_page_is_told_in_turkish(app, client):
    present(app, client)
    client.get("/langue/tr")
    data = form(client) | {"nir": make_nir(1), "phone": "06 12 34 56 78"}
    assert client.post("/k/chaumont", data=data).status_code == 303
    [ticket] = tickets_of(app)
    assert ticket.locale == "tr"
    db = app.extensions["accueil.db"]
    with db.write_session() as s:
        desk = s.exec(select(Desk).where(Desk.site_id == site_id(app)).order_by(Desk.id)).first()
        tickets.call_ticket(s, site_id=site_id(app), ticket_id=ticket.id, desk_id=desk.id, now=utcnow())
        s.commit()
    with db.session() as s:
        [notice] = s.exec(select(Notice)).all()
        code = s.get(Ticket, ticket.id).code
    assert notice.locale == "tr"
    with app.app_context():
        title, text = texts.render(notice)
    assert text.startswith(f"Sıra fişi {code}: Sıra sizde.")


KINDS = ((notices.SOON, 0), (notices.CALL, 0), (notices.CALL, 2), (notices.NOSHOW, 0))


def rendered(app, lang: str) -> dict:
    """Each kind of message as the phone of a visitor in *lang* receives it: {(kind, round): (title, text)}."""
    with app.app_context():
        return {(kind, round_): texts.render(Notice(kind=kind, round=round_, code="R007", locale=lang, desk="Bureau 2",
                                                    channel="sms")) for kind, round_ in KINDS}


@pytest.mark.parametrize("locale", VISITOR_LOCALES[1:])
def test_every_message_to_the_phone_is_in_the_visitors_language(app, locale):
    """Each kind of message in each language: its own words (not the French fallback), the ticket's number kept."""
    french, own = rendered(app, "fr"), rendered(app, locale)
    for key, (title, text) in own.items():
        assert "R007" in text and title and "R007" in french[key][1]
        assert title != french[key][0] and text != french[key][1], key
        if locale in SCRIPTS:
            assert any(unicodedata.name(c, "").startswith(SCRIPTS[locale]) for c in text)
