"""The supervision page in headless Chromium: live update when a ticket is called; axe-core clean."""
from __future__ import annotations

import pytest
from sqlmodel import select

from accueil import desks, tickets
from accueil.clock import utcnow
from accueil.models import Agent
from tests.browser.conftest import axe_violations, new_page
from tests.browser.test_console import desk_id, issue, sign_in, site_id


def test_supervision_updates_live_when_a_ticket_is_called(live, page):
    sign_in(page, live, "superviseur.chaumont")
    page.goto(live.url + "/agent/supervision")
    page.wait_for_selector("#live-state[data-state=online]")
    assert axe_violations(page) == []
    ticket = issue(live, 41, appointment=False)
    page.wait_for_function("n => document.querySelector('#supervision-region').textContent.includes('1')", arg=1)
    sid, desk = site_id(live), desk_id(live, "Espace numérique")
    with live.db.write_session() as s:
        agent = s.exec(select(Agent).where(Agent.login == "agent.chaumont")).one()
        desks.take(s, site_id=sid, desk_id=desk, agent_id=agent.id, now=utcnow())
        called = tickets.call_next(s, site_id=sid, desk_id=desk, agent_id=agent.id, now=utcnow())
        s.commit()
    assert called.id == ticket.id
    page.wait_for_selector(f"#sup-desk-{desk} .desk-tickets:has-text('{ticket.code}')")
    assert "agent.chaumont" in page.text_content(f"#sup-desk-{desk}")


def test_statistics_page_is_accessible(live, page):
    sign_in(page, live, "superviseur.chaumont")
    page.goto(live.url + "/agent/statistics")
    assert page.locator("svg[role=img] title").count() == 3
    assert axe_violations(page) == []
    for width in (1024, 768, 360):  # tablet, tablet upright, phone: labels readable at each (issue 15)
        page.set_viewport_size({"width": width, "height": 768})
        sizes = page.eval_on_selector_all(
            ".chart-label, .chart-value", "els => els.map(e => e.getBoundingClientRect().height)")
        assert sizes and min(sizes) >= 14, (width, min(sizes))
    page.goto(live.url + "/agent/statistics?from=bad")
    assert page.locator("#stats-error").is_visible()
    assert axe_violations(page) == []


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_key_figures_and_the_days_wait_follow_each_arrival(live, browser, lang):
    """The tiles and the day's chart (with its table) change as visitors arrive, without a reload."""
    page = new_page(browser, viewport={"width": 1024, "height": 768})
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live.url}])
    sign_in(page, live, "superviseur.chaumont")
    page.goto(live.url + "/agent/supervision")
    page.wait_for_selector("#live-state[data-state=online]")
    before = int(page.text_content("#tile-waiting .tile-value"))
    issue(live, 51, appointment=False)
    issue(live, 52, appointment=False)
    page.wait_for_function("n => document.querySelector('#tile-waiting .tile-value').textContent.trim() === String(n)",
                           arg=before + 2)
    rows = page.locator("#chart-day-table tbody tr")
    assert rows.count() >= 1
    assert sum(int(c) for c in page.locator("#chart-day-table tbody td:last-child").all_text_contents()) >= 2
    assert page.locator("#chart-day svg, figure.chart svg[role=img]").count() >= 1
    # Read in one go: a live update may replace the tiles between two reads of them.
    bottoms = page.eval_on_selector_all(".tile", "els => els.map(e => e.getBoundingClientRect().bottom)")
    assert len(bottoms) == 4
    assert max(bottoms) <= 768  # the four figures in the first screen of a tablet
    assert axe_violations(page) == []
    page.context.close()
