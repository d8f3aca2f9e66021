"""Needs stated on the phone reach the right desk, and the call-back page, in headless Chromium."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import select

from accueil.clock import service_day, utcnow
from accueil.demo import DEMO_APPOINTMENT_NIRS
from accueil.models import Appointment, Desk, Ticket
from accueil.needs import NEEDS
from accueil.presence import PresenceCodes
from tests.browser.conftest import axe_violations, new_page
from tests.browser.test_console import desk_id, sign_in, site_id, status, tablet, take_desk
from tests.conftest import later_today, make_nir, table_counts

WAIT_MS = 15000  # an upper bound for a failure, not a measured time
PHONE_WIDTH = 320


def phone_at_check_in(browser, live, rdv: str):
    """A phone that scanned Chaumont's code, on step 2 of the check-in."""
    code = PresenceCodes(live.app.config["SECRET_KEY"]).issue(site_id(live), now=utcnow())
    phone = new_page(browser, phone=True)
    phone.goto(f"{live.url}/k/chaumont/{code}")
    phone.click("text=J'ai un rendez-vous" if rdv == "oui" else "text=Je n'ai pas rendez-vous")
    phone.wait_for_selector("#nir")
    return phone


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_a_visitor_asking_for_sign_language_is_offered_only_to_the_desk_equipped_for_it(browser, live):
    with live.db.write_session() as s:  # Bureau 2 has the LSF video equipment, Bureau 1 has not
        s.get(Desk, desk_id(live, "Bureau 2")).capabilities = NEEDS["lsf"]
        s.commit()
    phone = phone_at_check_in(browser, live, rdv="oui")
    assert phone.is_hidden("#need-lsf")  # the group is closed until opened
    phone.click("#needs-group summary")
    phone.wait_for_selector("#need-lsf")
    assert phone.get_attribute("#interpreter_language option[value=ar]", "lang") == "ar"
    assert axe_violations(phone) == []
    assert fits_the_phone(phone)
    phone.check("#need-lsf")
    phone.fill("#nir", DEMO_APPOINTMENT_NIRS["chaumont"][0])
    phone.click("text=Prendre mon ticket")
    phone.wait_for_url(f"{live.url}/ticket/**")
    with live.db.session() as s:
        [ticket] = s.exec(select(Ticket)).all()
    assert ticket.needs == NEEDS["lsf"] and ticket.letter == "R"

    without, equipped = tablet(browser), tablet(browser)
    sign_in(without, live, "agent.chaumont")
    sign_in(equipped, live, "superviseur.chaumont")
    take_desk(without, live, "Bureau 1")
    take_desk(equipped, live, "Bureau 2")
    without.wait_for_selector(f"#ticket-{ticket.id}")
    assert "Langue des signes (LSF)" in without.text_content(f"#ticket-{ticket.id}")
    taken = without.text_content("#console-status")
    without.click("#call-next")
    without.wait_for_function("t => document.getElementById('console-status').textContent !== t", arg=taken)
    assert without.text_content("#console-status").strip() == "Personne n'attend pour ce bureau."
    assert status(live, ticket.id).status == "waiting"
    equipped.click("#call-next")
    equipped.wait_for_selector(f"#hand-{ticket.id}")
    called = status(live, ticket.id)
    assert called.status == "called" and called.desk_id == desk_id(live, "Bureau 2")
    phone.wait_for_selector("#called-block:not([hidden])", timeout=WAIT_MS)
    assert phone.text_content("#called-desk").strip() == "Bureau 2"
    for p in (phone, without, equipped):
        p.context.close()


def test_a_call_back_visitor_is_told_not_to_wait_and_may_still_take_a_ticket(browser, live):
    at = later_today(120)
    with live.db.write_session() as s:
        s.add(Appointment(site_id=site_id(live), service_day=service_day(at), at=at, kind="phone",
                          nir_hash=live.vault.hash_nir(make_nir(40))))
        s.commit()
    phone = phone_at_check_in(browser, live, rdv="oui")
    before = table_counts(live.db)
    phone.fill("#nir", make_nir(40))
    phone.click("text=Prendre mon ticket")
    phone.wait_for_url(f"{live.url}/k/chaumont/rappel")
    local = at.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")
    assert phone.text_content("#callback-time").strip() == "La Caf va vous appeler aujourd'hui."
    assert local not in phone.content()  # no detail of the appointment to whoever typed the number
    assert table_counts(live.db) == before
    assert axe_violations(phone) == []
    assert fits_the_phone(phone)
    phone.click("#see-anyway")
    phone.wait_for_url(f"{live.url}/ticket/**")
    assert phone.text_content("#ticket-code").strip().endswith("N001")
    assert axe_violations(phone) == []
    with live.db.session() as s:
        assert len(s.exec(select(Ticket)).all()) == 1
    phone.context.close()


def test_a_second_phone_typing_the_same_number_learns_nothing_and_its_owner_gets_the_page_back(browser, live):
    at = later_today(20)
    with live.db.write_session() as s:  # the owner has an appointment: nobody else may learn its time
        s.add(Appointment(site_id=site_id(live), service_day=service_day(at), at=at,
                          nir_hash=live.vault.hash_nir(make_nir(41))))
        s.commit()
    local = at.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")
    owner = phone_at_check_in(browser, live, rdv="oui")
    owner.fill("#nir", make_nir(41))
    owner.fill("#phone", "06 12 34 56 78")
    owner.click("text=Prendre mon ticket")
    owner.wait_for_url(f"{live.url}/ticket/**")
    link, code = owner.url, owner.text_content("#ticket-code").strip()
    assert local in owner.content()  # the owner's page says when
    other = phone_at_check_in(browser, live, rdv="oui")
    other.fill("#nir", make_nir(41))
    other.click("text=Prendre mon ticket")
    other.wait_for_selector("#nir-error")
    assert "adressez-vous à l'accueil" in other.text_content("#nir-error")
    assert "/ticket/" not in other.url and local not in other.content() and code not in other.content()
    assert axe_violations(other) == []
    lost = phone_at_check_in(browser, live, rdv="oui")  # the owner, page lost, on another phone
    lost.fill("#nir", make_nir(41))
    lost.fill("#phone", "0612345678")
    lost.click("text=Prendre mon ticket")
    lost.wait_for_url(f"{live.url}/ticket/**")
    assert lost.url == link
    for page in (owner, other, lost):
        page.context.close()
