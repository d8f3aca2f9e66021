"""« Pièces à fournir » in Chromium: the agent at the desk ticks documents; the visitor's phone shows the list at
once, in its language, with its pictures; the list opens again with the server stopped; it prints on one A4 page."""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext
from sqlmodel import select

from accueil import documents
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.i18n import VISITOR_LOCALES
from accueil.models import Site, Ticket
from tests.browser.conftest import axe_violations, new_page
from tests.browser.test_console import sign_in, tablet, take_desk
from tests.browser.test_languages import scanned
from tests.conftest import make_nir


def translated(live, lang: str, text: str) -> str:
    with live.app.test_request_context(), force_locale(lang):
        return gettext(text)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_list_an_agent_gives_reaches_the_phone_at_once_and_opens_again_offline(browser, live, lang):
    phone = scanned(browser, live, locale=lang)
    phone.click("main a.choice >> nth=1")
    phone.wait_for_selector("#nir")
    phone.fill("#nir", make_nir(80))
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live.url}/ticket/**")
    assert not phone.is_visible("#documents-box")
    agent = tablet(browser)
    sign_in(agent, live, "agent.chaumont")
    take_desk(agent, live, "Espace numérique")
    agent.click("#call-next")
    agent.wait_for_selector(".in-hand .ticket")
    agent.click(".in-hand button[id^=start-]")  # the visitor is at the desk
    agent.wait_for_selector(".in-hand .ticket-serving")
    agent.click(".in-hand a[id^=documents-]")
    assert axe_violations(agent) == []
    assert not agent.is_visible("#field-phrase-rib")  # a phrase is asked for once its document is ticked
    agent.check("#doc-avis-impot")
    agent.check("#doc-rib")
    agent.select_option("#field-phrase-rib", "copie")
    agent.click("#give")
    agent.wait_for_selector(".message-ok")
    # The phone, untouched, shows the link live; the list is in its language, with its pictures.
    phone.wait_for_selector("#documents-box:not([hidden])")
    phone.click("#documents-link")
    phone.wait_for_url(f"{live.url}/pieces/**")
    assert phone.get_attribute("html", "lang") == lang
    names = [n.strip() for n in phone.locator(".document-name").all_inner_texts()]
    assert names == [translated(live, lang, "Avis d'impôt"), translated(live, lang, "Relevé d'identité bancaire")]
    assert phone.locator(".document-picture svg").count() == 2
    assert translated(live, lang, "Une photocopie suffit.") in phone.text_content(".documents")
    assert axe_violations(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # A box ticked stays ticked on this phone (and only there).
    phone.click("label[for=doc-2]")
    phone.wait_for_selector("body[data-offline-ready='1']")
    address = phone.url
    live.kill()  # the server is gone
    phone.goto(address)
    assert [n.strip() for n in phone.locator(".document-name").all_inner_texts()] == names
    assert phone.is_checked("#doc-2") and not phone.is_checked("#doc-1")
    phone.context.close()
    agent.context.close()


def test_the_list_prints_on_one_a4_page_without_the_screens_buttons(browser, live):
    phone = scanned(browser, live)
    phone.click("main a.choice >> nth=1")
    phone.wait_for_selector("#nir")
    phone.fill("#nir", make_nir(81))
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live.url}/ticket/**")
    keys = [d.key for d in documents.CATALOGUE[:12]]
    with live.db.write_session() as s:
        ticket = s.exec(select(Ticket)).one()
        request = documents.read_request(keys, {keys[0]: "original"}, "", offered=list(documents.CATALOGUE),
                                         today=ticket.service_day)
        checklist = documents.give(s, site_id=ticket.site_id, ticket_id=ticket.id, request=request, now=utcnow())
        s.commit()
    phone.goto(f"{live.url}/pieces/{checklist.secret}")
    phone.emulate_media(media="print")
    assert not phone.is_visible("#print") and not phone.is_visible(".languages")
    assert phone.locator(".document").count() == 12
    pdf = phone.pdf(format="A4", print_background=False)
    assert re.search(rb"/Type\s*/Pages\b[^>]*/Count\s+1\b", pdf)  # twelve documents, one sheet of paper
    phone.context.close()


def test_the_list_fits_a_small_phone_in_every_visitor_language(browser, live):
    with live.db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        ticket = check_in(s, live.vault, site_id=site.id, has_appointment=False, nir=None, now=utcnow()).ticket
        keys = [d.key for d in documents.CATALOGUE]
        request = documents.read_request(keys, {k: "chaque-personne" for k in keys}, "", today=ticket.service_day,
                                         offered=list(documents.CATALOGUE))
        checklist = documents.give(s, site_id=site.id, ticket_id=ticket.id, request=request, now=utcnow())
        s.commit()
    for lang in VISITOR_LOCALES:
        phone = new_page(browser, phone=True, locale=lang)
        phone.goto(f"{live.url}/pieces/{checklist.secret}")
        assert phone.get_attribute("html", "lang") == lang
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), lang
        phone.context.close()
