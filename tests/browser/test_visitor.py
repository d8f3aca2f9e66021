"""The visitor's whole path in headless Chromium at a phone's size: kiosk QR → check-in → « C'est votre tour »."""
from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from pyzbar.pyzbar import decode
from sqlmodel import select
from stdnum.fr import nir as stdnum_nir

from accueil import tickets
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.devices import create_enrolment
from accueil.i18n import VISITOR_LOCALES
from accueil.models import Desk, Site, Ticket
from accueil.presence import PresenceCodes
from tests.browser.conftest import axe_violations, new_page
from tests.browser.test_needs import phone_at_check_in
from tests.conftest import make_nir, table_counts
from tests.web.test_kiosk import NIR_ERRORS, PHONE_ERRORS

WAIT_MS = 15000  # an upper bound for a failure, not a measured time


def chaumont(live):
    with live.db.session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        desk = s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == "Espace numérique")).one()
        return site.id, desk.id


def enrolled_kiosk(browser, live):
    site_id, _ = chaumont(live)
    with live.db.write_session() as s:
        _, token = create_enrolment(s, site_id=site_id, kind="kiosk", label="Entrée", now=utcnow())
        s.commit()
    kiosk = new_page(browser, viewport={"width": 1080, "height": 1400})
    kiosk.goto(f"{live.url}/appareil/{token}")
    kiosk.click("button[type=submit]")
    kiosk.wait_for_url(f"{live.url}/kiosk/chaumont")
    kiosk.wait_for_function("() => { const i = document.getElementById('qr-image'); return i && i.complete && i.naturalWidth > 0; }")
    return kiosk


def scan(kiosk) -> str:
    """Photograph the QR code the kiosk shows and read it, like a phone's camera."""
    png = kiosk.locator("#qr-image").screenshot()
    found = decode(Image.open(io.BytesIO(png)))
    assert found, "no QR code could be read on the kiosk's screen"
    return found[0].data.decode()


def test_from_the_kiosk_qr_code_to_its_your_turn(browser, live):
    kiosk = enrolled_kiosk(browser, live)
    assert axe_violations(kiosk) == []
    link = scan(kiosk)
    assert link.startswith(f"{live.url}/k/chaumont/")

    phone = new_page(browser, phone=True)
    phone.goto(link)
    assert phone.url == f"{live.url}/k/chaumont"  # the code left the address bar
    assert axe_violations(phone) == []
    phone.click("text=Je n'ai pas rendez-vous")
    assert phone.get_attribute("#nir", "type") == "text"
    assert phone.get_attribute("#nir", "autocapitalize") == "characters"
    assert phone.get_attribute("#phone", "autocomplete") == "tel"
    assert axe_violations(phone) == []
    phone.fill("#nir", "2 95 10 99 126 111 99")
    phone.fill("#phone", "06 12 34 56 78")
    phone.click("text=Prendre mon ticket")
    assert phone.text_content("#nir-error").strip() == NIR_ERRORS["295109912611199"]
    phone.wait_for_function("() => document.activeElement && document.activeElement.id === 'error-summary'")
    assert phone.input_value("#phone") == "06 12 34 56 78"
    assert axe_violations(phone) == []
    nir = make_nir(1)
    phone.fill("#nir", " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]]))
    phone.click("text=Prendre mon ticket")
    phone.wait_for_url(f"{live.url}/ticket/**")
    assert phone.text_content("#ticket-code").strip().endswith("N001")
    phone.wait_for_function("() => document.getElementById('connection').className === 'connection'")
    assert axe_violations(phone) == []
    assert phone.is_hidden("#called-block")
    assert "Vous êtes la prochaine personne appelée." in phone.text_content("#ahead")
    # Asked for, the screen stays on (Screen Wake Lock); asked again, it may turn off.
    phone.click("#wake")
    phone.wait_for_function("() => document.getElementById('wake').getAttribute('aria-pressed') === 'true'")
    assert phone.text_content("#wake-state") == "L'écran reste allumé."
    phone.click("#wake")
    phone.wait_for_function("() => document.getElementById('wake').getAttribute('aria-pressed') === 'false'")
    assert phone.text_content("#wake-state") == "L'écran peut s'éteindre."

    site_id, desk_id = chaumont(live)
    with live.db.write_session() as s:
        tickets.call_next(s, site_id=site_id, desk_id=desk_id, now=utcnow())
        s.commit()
    phone.wait_for_selector("#called-block:not([hidden])", timeout=WAIT_MS)
    assert phone.text_content("#called-block h2") == "C'est votre tour"
    assert phone.text_content("#called-desk").strip() == "Espace numérique"
    assert phone.text_content("#called-directions").strip() == "Au fond de la salle d'attente"
    phone.wait_for_function("() => document.body.getAttribute('data-alerted') === '1'", timeout=WAIT_MS)
    # The whole screen says it: the desk as large as the number, the title too (a tab, a screen reader).
    assert phone.title().startswith("C'est votre tour — Ticket N001")
    box, screen = phone.locator("#called-block").bounding_box(), phone.viewport_size
    assert (box["width"], box["height"]) == (screen["width"], screen["height"])  # the whole phone screen
    sizes = phone.evaluate("""() => ['.turn-code', '#called-desk'].map(
        (q) => parseFloat(getComputedStyle(document.querySelector(q)).fontSize))""")
    assert sizes[0] == sizes[1] >= 48
    assert phone.is_hidden("#called-round")
    with live.db.write_session() as s:
        t = s.exec(select(Ticket)).one()
        tickets.recall(s, site_id=site_id, ticket_id=t.id, now=utcnow())
        s.commit()
    phone.wait_for_selector("#called-round:not([hidden])", timeout=WAIT_MS)
    assert phone.text_content("#called-round") == "2e appel"
    phone.wait_for_function("() => document.body.getAttribute('data-alerted') === '2'", timeout=WAIT_MS)
    assert axe_violations(phone) == []

    # A second scan on the same phone shows the same ticket.
    phone.goto(scan(kiosk))
    phone.wait_for_url(f"{live.url}/ticket/**")
    with live.db.session() as s:
        assert len(s.exec(select(Ticket)).all()) == 1
    phone.context.close()
    kiosk.context.close()


def test_the_waiting_text_the_server_spells_first_is_the_one_the_page_spells_live(browser, live):
    """The page's first words come from the server, the next from ticket.js: the same phrases, one rule."""
    site_id, desk_id = chaumont(live)
    vault = live.app.extensions["accueil.vault"]
    with live.db.write_session() as s:
        first, second = (check_in(s, vault, site_id=site_id, has_appointment=False, nir=make_nir(40 + i),
                                  now=utcnow()).ticket for i in range(2))
        s.commit()
    phone = new_page(browser, phone=True)
    phone.goto(f"{live.url}/ticket/{second.public_id}")
    assert phone.text_content("#ahead").strip() == "Personnes avant vous : 1"
    served_first = phone.text_content("#estimate").strip()
    assert served_first.startswith("Vous attendrez") or served_first.startswith("Les agents ne reçoivent pas encore")
    phone.wait_for_function("() => document.getElementById('connection').className === 'connection'")
    with live.db.write_session() as s:
        tickets.call_next(s, site_id=site_id, desk_id=desk_id, now=utcnow())
        s.commit()
    phone.wait_for_function("() => document.getElementById('ahead').textContent.includes('prochaine')",
                            timeout=WAIT_MS)
    assert phone.text_content("#ahead") == "Vous êtes la prochaine personne appelée."
    live_text = phone.text_content("#estimate")
    phone.reload()  # the server's words for the same state
    assert phone.text_content("#ahead").strip() == "Vous êtes la prochaine personne appelée."
    assert phone.text_content("#estimate").strip() == live_text


def test_a_photo_of_an_old_code_leads_to_a_plain_page(browser, live):
    site_id, _ = chaumont(live)
    old = PresenceCodes(live.app.config["SECRET_KEY"]).issue(site_id, now=utcnow() - timedelta(minutes=30))
    phone = new_page(browser, phone=True)
    phone.goto(f"{live.url}/k/chaumont/{old}")
    assert phone.text_content("h1") == "Ce code est trop ancien. Scannez le code affiché sur l'écran de l'accueil."
    assert axe_violations(phone) == []
    phone.goto(f"{live.url}/k/chaumont")
    assert "scannez le code" in phone.text_content("h1")
    phone.context.close()


def test_someone_elses_screen_shows_no_qr_code(browser, live):
    page = new_page(browser)
    page.goto(f"{live.url}/kiosk/chaumont")
    assert page.locator("#qr-image").count() == 0
    assert "Pas de smartphone ? Adressez-vous à l'accueil." in page.text_content("main")
    page.context.close()


def test_every_nir_and_phone_error_is_shown_and_nothing_is_stored(browser, live):
    phone = phone_at_check_in(browser, live, rdv="oui")
    before = table_counts(live.db)
    cases = [("nir", nir, "", message) for nir, message in NIR_ERRORS.items()]
    cases += [("phone", make_nir(1), tel, message) for tel, message in PHONE_ERRORS.items()]
    for field, nir, tel, message in cases:
        phone.fill("#nir", nir)
        phone.fill("#phone", tel)
        phone.click("text=Prendre mon ticket")
        phone.wait_for_selector(f"#{field}-error")
        assert phone.text_content(f"#{field}-error").strip() == message
        assert phone.get_attribute(f"#{field}", "aria-invalid") == "true"
    assert axe_violations(phone) == []
    assert table_counts(live.db) == before
    phone.context.close()


def test_arabic_check_in_is_right_to_left_and_accessible(browser, live):
    site_id, _ = chaumont(live)
    code = PresenceCodes(live.app.config["SECRET_KEY"]).issue(site_id, now=utcnow())
    phone = new_page(browser, phone=True)
    phone.goto(f"{live.url}/k/chaumont/{code}")
    phone.click("#language-menu summary")
    phone.click("text=العربية")
    assert phone.get_attribute("html", "dir") == "rtl"
    assert phone.url == f"{live.url}/k/chaumont"
    assert axe_violations(phone) == []
    phone.context.close()


def test_a_visitor_born_in_corsica_types_2a_on_the_number_keyboard(browser, live):
    """The NIR field opens the number keyboard; its 2A and 2B keys type the letters at the caret."""
    phone = phone_at_check_in(browser, live, rdv="non")
    assert phone.get_attribute("#nir", "inputmode") == "numeric"
    assert phone.is_visible("#nir-corsica") and axe_violations(phone) == []
    body = "185122A004123"
    nir = body + stdnum_nir.calc_check_digits(body)
    phone.fill("#nir", nir[:5] + nir[7:])  # typed without the department, the caret put back after 18512
    phone.eval_on_selector("#nir", "e => e.setSelectionRange(5, 5)")
    phone.click("#nir-corsica button[data-insert=\"2A\"]")
    assert phone.input_value("#nir") == nir
    assert phone.evaluate("document.activeElement.id") == "nir"  # the keyboard stays on the field
    phone.click("text=Prendre mon ticket")
    phone.wait_for_url(f"{live.url}/ticket/**")
    with live.db.session() as s:
        [ticket] = s.exec(select(Ticket)).all()
    assert live.vault.decrypt(ticket.nir_enc) == nir
    phone.context.close()


def test_a_phone_that_cannot_scan_types_the_four_digits_the_kiosk_shows(browser, live):
    kiosk = enrolled_kiosk(browser, live)
    for width, height in ((1920, 1080), (1080, 1920), (1280, 800)):
        kiosk.set_viewport_size({"width": width, "height": height})
        assert kiosk.evaluate("document.documentElement.scrollHeight") <= height  # one screen, no scrolling
        box = kiosk.locator("#short-code").bounding_box()
        assert box["y"] + box["height"] <= height
    assert axe_violations(kiosk) == []
    digits = kiosk.text_content("#short-code").strip()
    address = kiosk.text_content(".short-address").strip()
    assert len(digits) == 4 and digits.isdigit() and address.endswith("/c")
    for lang in ("fr", "ar"):
        phone = new_page(browser, phone=True)
        phone.context.add_cookies([{"name": "lang", "value": lang, "url": live.url}])
        phone.goto(f"{live.url}/c")
        assert axe_violations(phone) == []
        phone.fill("#code", "12")
        phone.click("button[type=submit]")
        assert phone.get_attribute("#code", "aria-invalid") == "true"
        phone.wait_for_function("() => document.activeElement && document.activeElement.id === 'error-summary'")
        assert axe_violations(phone) == []
        phone.fill("#code", digits)
        phone.click("button[type=submit]")
        phone.wait_for_url(f"{live.url}/k/chaumont")
        assert phone.locator(".choices a").count() == 2  # the check-in's first step
        phone.context.close()


def test_on_a_320_px_phone_no_word_breaks_at_its_hyphen(browser, live):
    """« rendez-vous » stays whole on the first step's buttons and title, in each language offered."""
    site_id, _ = chaumont(live)
    codes = PresenceCodes(live.app.config["SECRET_KEY"])
    for lang in VISITOR_LOCALES:
        phone = new_page(browser, phone=True)
        phone.context.add_cookies([{"name": "lang", "value": lang, "url": live.url}])
        phone.goto(f"{live.url}/k/chaumont/{codes.issue(site_id, now=utcnow())}")
        broken = phone.evaluate("() => [...document.querySelectorAll('main h1, main a, main button')]"
                                ".flatMap(el => [...el.querySelectorAll('.nowrap')]).filter(w => w.getClientRects().length > 1)"
                                ".map(w => w.textContent)")
        assert broken == [], lang
        if lang == "fr":
            assert phone.locator("main .nowrap").count() >= 3
        assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), lang
        phone.context.close()


def test_the_offices_logo_name_and_colour_head_the_kiosk_the_phone_and_the_display(browser, live):
    from accueil import branding
    from tests.browser.test_display import install
    from tests.unit.test_branding import SVG

    site_id, _ = chaumont(live)
    with live.db.write_session() as s:
        branding.set_branding(s, site_id=site_id, accent="#1b5e20", logo=(SVG, "image/svg+xml"), now=utcnow())
        s.commit()
    loaded = "(q) => { const i = document.querySelector(q); return i && i.complete && i.naturalWidth > 0; }"
    kiosk = enrolled_kiosk(browser, live)
    for size in ({"width": 1920, "height": 1080}, {"width": 1080, "height": 1920}, {"width": 1280, "height": 800}):
        kiosk.set_viewport_size(size)
        kiosk.wait_for_function(loaded, arg=".brand-logo")
        assert "Chaumont" in kiosk.text_content(".brand .brand-name")
        assert kiosk.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight"), size
    assert axe_violations(kiosk) == []
    phone = new_page(browser, phone=True)
    phone.goto(f"{live.url}/k/chaumont/{PresenceCodes(live.app.config['SECRET_KEY']).issue(site_id, now=utcnow())}")
    phone.wait_for_function(loaded, arg=".brand-logo")
    assert phone.evaluate("() => getComputedStyle(document.querySelector('.choices a, .button')).backgroundColor") \
        == "rgb(27, 94, 32)"  # the office's colour on its buttons
    assert axe_violations(phone) == []
    screen = new_page(browser, viewport={"width": 1920, "height": 1080})
    install(live, screen)
    screen.wait_for_function(loaded, arg=".board-logo")
    for page in (kiosk, phone, screen):
        page.context.close()


def test_the_wall_screen_speaks_french_english_and_arabic_at_once_with_nothing_to_switch(browser, live):
    kiosk = enrolled_kiosk(browser, live)
    assert kiosk.locator("nav.languages").count() == 0  # a public screen: nobody switches it for everyone
    assert kiosk.locator(".kiosk-step").count() == 3
    for lang, words in (("en", "Scan this code"), ("ar", "امسحوا هذا الرمز")):  # the polite plural, as everywhere
        step = kiosk.locator(f".kiosk-step-also[lang={lang}]").first
        assert step.text_content() == words
        assert kiosk.locator(f".kiosk-title [lang={lang}]").count() == 1
    assert kiosk.get_attribute(".kiosk-title [lang=ar]", "dir") == "rtl"
    for size in ({"width": 1920, "height": 1080}, {"width": 1080, "height": 1920}, {"width": 1280, "height": 800}):
        kiosk.set_viewport_size(size)
        assert kiosk.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight"), size
        assert kiosk.evaluate("() => [...document.querySelectorAll('.nowrap')].every(w => w.getClientRects().length === 1)")
    assert axe_violations(kiosk) == []
    kiosk.context.close()
