"""The configuration page in headless Chromium at tablet width: axe-core clean, errors beside fields, live effect."""
from __future__ import annotations

from tests.browser.conftest import axe_violations
from tests.browser.test_console import TABLET, desk_id, sign_in, tablet

PAGE = "/agent/configuration"
SMALL_TARGETS = """() => [...document.querySelectorAll('main button, main a, main summary, main input:not([type=hidden])')]
    .filter(el => el.offsetParent !== null)
    .map(el => [el.id || el.textContent.trim().slice(0, 30),
                (el.matches('[type=radio], [type=checkbox]') ? el.closest('.choice') : el).getBoundingClientRect()])
    .filter(([name, r]) => r.height < 44 || r.width < 44)
    .map(([name, r]) => name + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))"""


def test_configuration_page_is_accessible_at_tablet_width_and_changes_reach_the_console_live(live, browser):
    page = tablet(browser)
    sign_in(page, live, "superviseur.chaumont")
    page.click(f"a[href='{PAGE}']")
    page.wait_for_selector("h1:has-text('Configuration du site')")
    for section in ("", "/site", "/hours", "/queues", "/desks", "/agents"):
        page.goto(live.url + PAGE + section)
        for summary in page.locator("details.more summary").all()[:3]:
            summary.click()  # open edit forms are checked too
        assert axe_violations(page) == [], section
        assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"], section
        assert page.evaluate(SMALL_TARGETS) == [], section
    page.goto(live.url + PAGE + "/queues")

    # A bad input: the page says what to fix, beside the field, and the field points at its message.
    page.fill("#queue-new-letter", "R")
    page.fill("#queue-new-name", "Doublon")
    page.click("#queue-new-submit")
    page.wait_for_selector("#queue-new-letter-error")
    assert "déjà prise" in page.text_content("#queue-new-letter-error")
    assert "queue-new-letter-error" in page.get_attribute("#queue-new-letter", "aria-describedby")
    assert page.get_attribute("#queue-new-letter", "aria-invalid") == "true"
    assert page.locator("#config-errors a[href='#queue-new-letter']").count() == 1
    assert axe_violations(page) == []

    # Renaming a desk: the agent's console, open on the side, shows the new name without a reload.
    desk = desk_id(live, "Bureau 2")
    page.goto(live.url + PAGE + "/desks")
    page.click(f"#desk-{desk} summary")
    console = tablet(browser)
    sign_in(console, live, "agent.chaumont")  # opened last: its own 15-second check is not due before the push
    console.evaluate("window.sameDocument = true")  # gone if the console page were reloaded
    page.fill(f"#desk-{desk}-name", "Bureau Deux")
    page.click(f"#desk-{desk}-submit")
    page.wait_for_selector(f"#desk-{desk}-done:has-text('Le bureau est modifié.')")  # confirmed where it changed
    # Sooner than the console's own 15-second check: the change was pushed (tests/sockets proves it strictly).
    console.wait_for_selector("#region-desks:has-text('Bureau Deux')", timeout=10_000)
    assert console.evaluate("window.sameDocument") is True
    page.context.close()
    console.context.close()


def test_opening_hours_are_time_fields_with_closed_and_like_monday(live, browser):
    page = tablet(browser)
    sign_in(page, live, "superviseur.chaumont")
    page.goto(live.url + PAGE + "/hours")
    page.check("#closed-0")
    assert page.is_disabled("#opens-0-0")
    page.uncheck("#closed-0")
    page.fill("#opens-0-0", "08:30")
    page.fill("#closes-0-0", "12:00")
    page.fill("#opens-0-1", "13:30")
    page.fill("#closes-0-1", "16:30")
    for day in range(1, 5):
        page.uncheck(f"#closed-{day}")
        page.check(f"#same-{day}")
        assert page.is_disabled(f"#opens-{day}-0")  # its own times greyed: Monday's apply
    page.check("#closed-5")
    page.check("#closed-6")
    assert page.is_disabled("#same-5") and page.is_disabled("#opens-5-0")
    page.click("#hours-submit")
    page.wait_for_selector("#hours-done")
    with live.db.session() as s:
        from accueil.configuration import opening_hours
        from tests.browser.test_console import site_id
        week = opening_hours(s, site_id(live))
    assert week[0] == week[1] == week[4] == [(510, 720), (810, 990)] and week[5] == week[6] == []
    assert axe_violations(page) == []
    page.context.close()
