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
    for summary in page.locator("details.more summary").all()[:3]:
        summary.click()  # open edit forms are checked too
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    assert page.evaluate(SMALL_TARGETS) == []

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
    page.goto(live.url + PAGE)
    page.click(f"#desk-{desk} summary")
    console = tablet(browser)
    sign_in(console, live, "agent.chaumont")  # opened last: its own 15-second check is not due before the push
    console.evaluate("window.sameDocument = true")  # gone if the console page were reloaded
    page.fill(f"#desk-{desk}-name", "Bureau Deux")
    page.click(f"#desk-{desk}-submit")
    page.wait_for_selector("#console-status:has-text('Le bureau est modifié.')")
    # Sooner than the console's own 15-second check: the change was pushed (tests/sockets proves it strictly).
    console.wait_for_selector("#region-desks:has-text('Bureau Deux')", timeout=10_000)
    assert console.evaluate("window.sameDocument") is True
    page.context.close()
    console.context.close()
