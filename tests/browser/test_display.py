"""The waiting-room screen in headless Chromium: live calls, announcements, restarts, accessibility."""
from __future__ import annotations

import pytest
from sqlmodel import select

from accueil import tickets
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.db import Database
from accueil.devices import create_enrolment
from accueil.models import Desk, Site
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, axe_violations, new_page
from tests.live import start_live_server

LIVE = "() => document.querySelector('.board').dataset.state === 'live'"


def site_and_desks(db, slug="chaumont"):
    with db.session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        desks = {d.name: d.id for d in s.exec(select(Desk).where(Desk.site_id == site.id)).all()}
    return site.id, desks


def install(live, page, slug="chaumont"):
    """Enrol the page's browser as the site's display with the one-time link, as a manager would."""
    with live.db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        _, token = create_enrolment(s, site_id=site.id, kind="display", label="Salle", now=utcnow())
        s.commit()
    page.goto(f"{live.url}/appareil/{token}")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live.url}/display/{slug}")
    page.wait_for_function(LIVE)


def arrive(db, vault, site_id, *, appointment=True, count=1):
    with db.write_session() as s:
        for _ in range(count):
            check_in(s, vault, site_id=site_id, has_appointment=appointment, nir=None, now=utcnow())
        s.commit()


def call(db, site_id, desk_id):
    with db.write_session() as s:
        ticket = tickets.call_next(s, site_id=site_id, desk_id=desk_id, now=utcnow())
        s.commit()
    return ticket


def announcements(page) -> list[dict]:
    q = page.evaluate("() => window.AccueilDisplay.queue()")
    return q["spoken"] + ([q["current"]] if q["current"] else []) + q["pending"]


def wait_queue_idle(page):
    page.wait_for_function("() => { const q = window.AccueilDisplay.queue(); "
                           "return q.pending.length === 0 && q.current === null; }", timeout=60000)


def test_a_call_made_through_the_core_appears_flashes_and_is_queued_for_announcement(live, page):
    install(live, page)
    site_id, desks = site_and_desks(live.db)
    # Nobody called yet today: the site's messages take the call's place (the demo has two).
    page.wait_for_function("() => window.AccueilDisplay.message() !== null")
    assert page.text_content("#now-title") == "À savoir"
    arrive(live.db, live.vault, site_id, count=2)
    page.wait_for_function("() => document.querySelector('#waiting').textContent.includes('2 personnes attendent')")
    call(live.db, site_id, desks["Bureau 1"])
    page.wait_for_function("() => document.querySelector('#now .now-code')?.textContent === 'R001'")
    assert "Bureau 1" in page.text_content("#now .now-place")
    assert page.text_content("#now-title") == "Appel en cours" and page.evaluate("window.AccueilDisplay.message()") is None
    assert page.get_attribute("#now", "class").split().count("flash") == 1 or announcements(page)
    assert "1 personne attend" in page.text_content("#waiting")
    assert [a["text"] for a in announcements(page)] == ["Ticket R 0 0 1, Bureau 1"]
    page.wait_for_function("() => !document.querySelector('#now').classList.contains('flash')")


def test_the_announcement_queue_keeps_order_repeats_recalls_and_never_replays(live, page):
    install(live, page)
    site_id, desks = site_and_desks(live.db)
    arrive(live.db, live.vault, site_id, count=2)
    arrive(live.db, live.vault, site_id, appointment=False)
    first = call(live.db, site_id, desks["Bureau 1"])
    call(live.db, site_id, desks["Espace numérique"])
    with live.db.write_session() as s:
        tickets.recall(s, site_id=site_id, ticket_id=first.id, now=utcnow())
        s.commit()
    page.wait_for_function("() => { const q = window.AccueilDisplay.queue(); "
                           "return q.spoken.length + q.pending.length + (q.current ? 1 : 0) === 3; }")
    # A resync and a reconnection both bring a snapshot: it shows the calls, announces none again.
    version = page.evaluate("() => window.AccueilDisplay.version()")
    page.evaluate("() => window.AccueilDisplay.live.resync()")
    page.evaluate("() => { const s = window.AccueilDisplay.live.socket; s.disconnect(); s.connect(); }")
    page.wait_for_function(LIVE)
    call(live.db, site_id, desks["Bureau 2"])
    page.wait_for_function(f"() => window.AccueilDisplay.version() === {version + 1}")
    wait_queue_idle(page)
    spoken = page.evaluate("() => window.AccueilDisplay.queue().spoken")
    assert [a["text"] for a in spoken] == [
        "Ticket R 0 0 1, Bureau 1", "Ticket N 0 0 1, Espace numérique", "Ticket R 0 0 1, Bureau 1",
        "Ticket R 0 0 2, Bureau 2"]
    assert [a["kind"] for a in spoken] == ["called", "called", "recalled", "called"]
    assert len({a["key"] for a in spoken}) == 4
    for before, after in zip(spoken, spoken[1:]):
        assert after["started"] >= before["ended"]  # never two at once
    assert page.evaluate("() => window.AccueilDisplay.calls().length") == 4
    # The screen is reloaded (a TV stick reboots): the calls are shown, nothing is replayed.
    page.reload()
    page.wait_for_function(LIVE)
    assert page.text_content("#now .now-code") == "R002"
    assert page.locator("#history li").count() == 3
    q = page.evaluate("() => window.AccueilDisplay.queue()")
    assert q["pending"] == [] and q["current"] is None and q["spoken"] == []


def test_the_screen_recovers_by_itself_after_a_server_restart(live, page):
    install(live, page)
    site_id, desks = site_and_desks(live.db)
    arrive(live.db, live.vault, site_id, count=3)
    call(live.db, site_id, desks["Bureau 1"])
    page.wait_for_function("() => document.querySelector('#now .now-code')?.textContent === 'R001'")
    assert page.is_hidden("#offline")
    port, url, instance = live.port, live.db.url, live.instance
    live.kill()
    page.wait_for_selector("#offline", state="visible")
    assert "hors ligne" in page.text_content("#offline")
    # While the server is down, the office goes on (another process writes to the database).
    offline_db = Database(url)
    try:
        call(offline_db, site_id, desks["Bureau 2"])
    finally:
        offline_db.dispose()
    again = start_live_server(instance, port=port, DATABASE_URL=url)  # the same database, whatever the engine
    try:
        # Correct again within 5 seconds of the restart, with no manual action.
        page.wait_for_function("() => document.querySelector('#now .now-code')?.textContent === 'R002'"
                               " && document.querySelector('#offline').hidden", timeout=5000)
        assert "Bureau 2" in page.text_content("#now .now-place")
        assert [li.split()[0] for li in page.locator("#history li").all_text_contents()] == ["R001"]
        assert "1 personne attend" in page.text_content("#waiting")
        # What happened while the screen was away is shown, not announced.
        assert [a["code"] for a in announcements(page)] == ["R001"]
        # And it is live again.
        call(again.db, site_id, desks["Bureau 3"])
        page.wait_for_function("() => document.querySelector('#now .now-code')?.textContent === 'R003'")
        assert [a["code"] for a in announcements(page)] == ["R001", "R003"]
    finally:
        again.stop()


SOUND_WORKS = "() => ['on', 'novoice'].includes(window.AccueilDisplay.sound())"


def test_a_kiosk_browser_that_lets_pages_play_sound_needs_no_press_and_shows_no_control(live, page):
    """Chromium started with --autoplay-policy=no-user-gesture-required (the deployment guide; this suite's
    browser): the screen's sound works at once, and nothing about sound stays on the public screen."""
    install(live, page)
    page.wait_for_function(SOUND_WORKS)
    assert page.is_hidden("#sound-on")
    if page.evaluate("window.AccueilDisplay.sound()") == "on":
        assert page.is_hidden("#sound-status")
    site_id, desks = site_and_desks(live.db)
    arrive(live.db, live.vault, site_id)
    call(live.db, site_id, desks["Bureau 1"])
    page.wait_for_function("() => window.AccueilDisplay.queue().spoken.length === 1", timeout=60000)
    assert page.evaluate("() => window.AccueilDisplay.queue().spoken[0].sound") in ("on", "novoice")


def test_where_the_browser_asks_for_a_press_the_sound_is_switched_on_once_then_by_any_touch(live, browser):
    """A plain browser: the button and « Son coupé » until someone presses it, then nothing; after a restart,
    the browser wants a touch again: any touch of the screen brings the sound back, without the button."""
    plain = browser.browser_type.launch(executable_path=CHROMIUM,
                                        args=[a for a in CHROMIUM_ARGS if not a.startswith("--autoplay-policy")])
    try:
        installer = plain.new_page(viewport={"width": 1920, "height": 1080})
        install(live, installer)  # its click on the enrolment page would count as a press: a screen starts afresh
        screen = plain.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR")
        screen.add_cookies(installer.context.cookies())
        page = screen.new_page()
        page.goto(f"{live.url}/display/chaumont")
        page.wait_for_function(LIVE)
        page.wait_for_function("() => window.AccueilDisplay.sound() === 'off'")
        assert page.is_visible("#sound-on")
        assert page.text_content("#sound-status") == "Son coupé" and page.is_visible("#sound-status")
        page.click("#sound-on")
        page.wait_for_function(SOUND_WORKS)
        assert page.is_hidden("#sound-on")
        if page.evaluate("window.AccueilDisplay.sound()") == "on":
            assert page.is_hidden("#sound-status")
        else:
            assert page.text_content("#sound-status") == "Pas de voix française : seul le carillon sonne"
        assert page.evaluate("() => localStorage.getItem('accueil.display.sound')") == "on"
        page.close()
        page = screen.new_page()  # the screen restarts: the sound was on here, the browser wants a touch again
        page.goto(f"{live.url}/display/chaumont")
        page.wait_for_function(LIVE)
        page.wait_for_function("() => window.AccueilDisplay.sound() === 'blocked'")
        assert page.text_content("#sound-status") == "Son bloqué : touchez l'écran"
        page.mouse.click(960, 540)
        page.wait_for_function(SOUND_WORKS)
        assert page.is_hidden("#sound-on")
    finally:
        plain.close()


def test_both_layouts_are_accessible_and_large(live, browser):
    site_id, desks = site_and_desks(live.db)
    arrive(live.db, live.vault, site_id, count=4)
    arrive(live.db, live.vault, site_id, appointment=False)
    for name in ("Bureau 1", "Bureau 2", "Espace numérique"):
        call(live.db, site_id, desks[name])
    for width, height in ((1920, 1080), (1080, 1920)):
        page = new_page(browser, viewport={"width": width, "height": height})
        try:
            install(live, page)
            assert page.text_content("#now .now-code") == "N001"
            assert page.locator("#history li").count() == 2
            assert axe_violations(page) == []
            code = page.locator("#now .now-code").bounding_box()
            assert code["height"] >= 150  # about 12 cm on a 43-inch TV: read from 5 metres
            assert page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight")
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
            page.wait_for_function(SOUND_WORKS)
            assert axe_violations(page) == []
        finally:
            page.context.close()


def test_the_page_stays_flat_over_thousands_of_events(live, page):
    install(live, page)
    site_id, desks = site_and_desks(live.db)
    r_desks = [desks[n] for n in ("Bureau 1", "Bureau 2", "Bureau 3")]

    def rounds(start, count):
        for i in range(start, start + count):
            with live.db.write_session() as s:
                ticket = check_in(s, live.vault, site_id=site_id, has_appointment=i % 4 != 0, nir=None,
                                  now=utcnow()).ticket
                desk = r_desks[i % 3] if ticket.letter == "R" else desks["Espace numérique"]
                called = tickets.call_ticket(s, site_id=site_id, ticket_id=ticket.id, desk_id=desk, now=utcnow())
                tickets.start(s, site_id=site_id, ticket_id=called.id, now=utcnow())
                tickets.finish(s, site_id=site_id, ticket_id=called.id, now=utcnow())
                s.commit()
        with live.db.session() as s:
            return s.get(Site, site_id).version

    def settled(version):
        page.wait_for_function(f"() => window.AccueilDisplay.version() === {version}", timeout=120000)
        return page.evaluate("() => document.getElementsByTagName('*').length")

    nodes_before = settled(rounds(0, 20))
    version = rounds(20, 730)  # 4 events a round: 3,000 events in all
    nodes_after = settled(version)
    assert version >= 3000
    assert nodes_after == nodes_before
    assert page.locator("#history li").count() == 4  # the call in progress, then four whole rows
    q = page.evaluate("() => window.AccueilDisplay.queue()")
    assert len(q["pending"]) <= 8 and len(q["spoken"]) <= 20 and q["announcedKeys"] <= 300


def test_a_call_made_at_the_agent_console_appears_on_the_display(live, browser, page):
    from accueil.demo import demo_password

    install(live, page)
    site_id, desks = site_and_desks(live.db)
    arrive(live.db, live.vault, site_id, count=2)
    console = new_page(browser, viewport={"width": 1280, "height": 800})
    try:
        console.goto(live.url + "/agent/login")
        console.fill("#login", "agent.chaumont")
        console.fill("#password", demo_password("chaumont", "agent"))
        console.click("button[type=submit]")
        console.click(f"#take-{desks['Bureau 2']}")
        console.click("#call-next")
        page.wait_for_function("() => document.querySelector('#now .now-code')?.textContent === 'R001'")
        assert "Bureau 2" in page.text_content("#now .now-place")
        assert [a["text"] for a in announcements(page)] == ["Ticket R 0 0 1, Bureau 2"]
        page.wait_for_function("() => document.querySelector('#waiting').textContent.includes('1 personne attend')")
    finally:
        console.context.close()


def test_while_nobody_is_called_the_sites_messages_take_turns_and_a_call_takes_the_screen_back(live, page, monkeypatch):
    from accueil import audiences

    monkeypatch.setattr(audiences, "IDLE_AFTER_SECONDS", 3)
    monkeypatch.setattr(audiences, "MESSAGE_SECONDS", 2)
    site_id, desks = site_and_desks(live.db)
    arrive(live.db, live.vault, site_id, count=2)
    first = call(live.db, site_id, desks["Bureau 1"])
    install(live, page)
    assert page.text_content("#now .now-code") == first.code  # a call a moment ago: it holds the screen
    page.wait_for_function("() => window.AccueilDisplay.message() !== null", timeout=10000)
    assert page.text_content("#now-title") == "À savoir"
    assert page.text_content("#history li:first-child .history-code") == first.code  # the call is not lost
    shown = {page.evaluate("window.AccueilDisplay.message().text")}
    page.wait_for_function("t => window.AccueilDisplay.message() && window.AccueilDisplay.message().text !== t",
                           arg=next(iter(shown)), timeout=10000)
    shown.add(page.evaluate("window.AccueilDisplay.message().text"))
    assert len(shown) == 2  # the demo's two messages, in turn
    page.wait_for_function("() => { const m = window.AccueilDisplay.message(); return m && m.link; }", timeout=10000)
    page.wait_for_function("() => { const i = document.querySelector('#now .message-qr'); "
                           "return i && i.complete && i.naturalWidth > 0; }")
    assert "www.caf.fr" in page.text_content("#now .message-address")
    assert axe_violations(page) == []
    second = call(live.db, site_id, desks["Bureau 2"])
    page.wait_for_function("c => document.querySelector('#now .now-code')?.textContent === c", arg=second.code)
    assert page.text_content("#now-title") == "Appel en cours"
    assert page.evaluate("window.AccueilDisplay.message()") is None


def whole_rows(page, width, height) -> None:
    """Four rows of last calls, none cut, no scroll, desk names large enough to read from 5 metres."""
    assert page.locator("#history li").count() == 4, (width, height)
    clipped = page.evaluate("""() => { const list = document.getElementById('history').getBoundingClientRect();
        return [...document.querySelectorAll('#history li')].filter(li => {
            const r = li.getBoundingClientRect();
            return r.bottom > list.bottom + 0.5 || li.scrollHeight > li.clientHeight + 1
                || [...li.children].some(c => c.scrollWidth > c.clientWidth + 1); }).length; }""")
    assert clipped == 0, (width, height)
    assert page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    place = page.locator("#history li .history-place").first.bounding_box()
    assert place["height"] >= 0.04 * min(width, height)
    assert axe_violations(page) == []


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_four_whole_rows_of_last_calls_and_no_scroll_at_every_size(live, browser, lang, monkeypatch):
    """With a call in progress, then with the site's messages (one with its QR code) in the call's place."""
    from accueil import audiences

    site_id, desks = site_and_desks(live.db)
    arrive(live.db, live.vault, site_id, count=4)
    arrive(live.db, live.vault, site_id, appointment=False, count=3)
    for name in ("Bureau 1", "Bureau 2", "Bureau 3", "Espace numérique", "Espace numérique", "Espace numérique"):
        call(live.db, site_id, desks[name])
    for width, height in ((1920, 1080), (1080, 1920), (1280, 800)):
        page = new_page(browser, viewport={"width": width, "height": height})
        page.context.add_cookies([{"name": "lang", "value": lang, "url": live.url}])
        try:
            install(live, page)
            whole_rows(page, width, height)
            monkeypatch.setattr(audiences, "IDLE_AFTER_SECONDS", 0)  # as if nobody had been called for a while
            monkeypatch.setattr(audiences, "MESSAGE_SECONDS", 1)
            page.reload()
            page.wait_for_function("() => { const m = window.AccueilDisplay.message(); return m && m.link; }",
                                   timeout=30000)
            whole_rows(page, width, height)
            monkeypatch.undo()
        finally:
            page.context.close()
