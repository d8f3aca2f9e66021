"""The agent console in headless Chromium: racing calls, live lists, accessibility, keyboard, tablet layout."""
from __future__ import annotations

import re
import time

import pytest
from sqlmodel import select

from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.demo import demo_password
from accueil.devices import create_enrolment
from accueil.models import Desk, Site, Ticket
from tests.browser.conftest import axe_violations, new_page
from tests.conftest import make_nir
from tests.live import start_live_server

TABLET = {"width": 768, "height": 1024}


def site_id(live, slug="chaumont"):
    with live.db.session() as s:
        return s.exec(select(Site).where(Site.slug == slug)).one().id


def desk_id(live, name, slug="chaumont"):
    with live.db.session() as s:
        return s.exec(select(Desk).where(Desk.site_id == site_id(live, slug), Desk.name == name)).one().id


def issue(live, i, appointment=True, nir=True):
    with live.db.write_session() as s:
        t = check_in(s, live.vault, site_id=site_id(live), has_appointment=appointment,
                     nir=make_nir(i) if nir else None, now=utcnow()).ticket
        s.commit()
    return t


def tablet(browser):
    return new_page(browser, viewport=TABLET, has_touch=True)


def sign_in(page, live, login):
    role = "superviseur" if login.startswith("superviseur") else "agent"
    page.goto(live.url + "/agent/login")
    page.fill("#login", login)
    page.fill("#password", demo_password(login.split(".", 1)[1], role))
    page.click("button[type=submit]")
    page.wait_for_selector("#live-state[data-state=online]")


def take_desk(page, live, name):
    page.click(f"#take-{desk_id(live, name)}")
    page.wait_for_selector("#call-next")


def status(live, ticket_id):
    with live.db.session() as s:
        return s.get(Ticket, ticket_id)


def both_at_once(pages, path="/agent/call-next"):
    """Hold each page's request to *path* until every page has sent its own, then let them all go:
    the requests reach the server together (a real race, not two presses one after the other)."""
    held = []

    def hold(route):
        held.append(route)
        if len(held) == len(pages):
            for r in held:
                r.continue_()

    for p in pages:
        p.route(f"**{path}", hold)
    return held


def waiting_room(browser, live):
    """The waiting-room display of Chaumont, enrolled the way a supervisor does it (one-time link)."""
    with live.db.write_session() as s:
        _, token = create_enrolment(s, site_id=site_id(live), kind="display", label="Test", now=utcnow())
        s.commit()
    screen = new_page(browser, viewport={"width": 1280, "height": 720})
    screen.goto(f"{live.url}/appareil/{token}")
    screen.click("button[type=submit]")
    screen.wait_for_url(f"{live.url}/display/chaumont")
    return screen


@pytest.mark.both_engines  # a race: each engine settles it its own way
def test_two_agents_racing_call_next_never_get_the_same_ticket_and_both_see_it_live(live, browser):
    a, b = tablet(browser), tablet(browser)
    screen = waiting_room(browser, live)
    sign_in(a, live, "agent.chaumont")
    sign_in(b, live, "superviseur.chaumont")
    take_desk(a, live, "Bureau 1")
    take_desk(b, live, "Bureau 2")
    first, second = issue(live, 1), issue(live, 2)
    for p in (a, b):  # the new tickets appear without a reload
        p.wait_for_selector(f"#ticket-{first.id}")
        p.wait_for_selector(f"#ticket-{second.id}")
    # Both presses are in flight at once.
    held = both_at_once((a, b))
    a.evaluate("() => document.getElementById('call-next').click()")
    b.evaluate("() => document.getElementById('call-next').click()")
    for p in (a, b):
        p.wait_for_selector(f"#progress-{first.id}")
        p.wait_for_selector(f"#progress-{second.id}")
    rows = [status(live, first.id), status(live, second.id)]
    assert sorted(t.desk_id for t in rows) == sorted([desk_id(live, "Bureau 1"), desk_id(live, "Bureau 2")])
    assert all(t.status == "called" for t in rows) and len(held) == 2  # both were held, then sent together
    hand_a = a.text_content(".in-hand .ticket-code")
    hand_b = b.text_content(".in-hand .ticket-code")
    assert {hand_a.split()[0], hand_b.split()[0]} == {first.code, second.code}
    for p in (a, b):
        assert p.locator(f"#ticket-{first.id}").count() == 0 and p.locator(f"#ticket-{second.id}").count() == 0
    # The waiting room shows both calls, live too.
    screen.wait_for_function("codes => codes.every(c => document.querySelector('.board').innerText.includes(c))",
                             arg=[first.code, second.code])
    for p in (a, b, screen):
        p.context.close()


@pytest.mark.both_engines  # a race: each engine settles it its own way
def test_the_loser_of_a_race_for_the_last_ticket_is_told_and_gets_none(live, browser):
    a, b = tablet(browser), tablet(browser)
    sign_in(a, live, "agent.chaumont")
    sign_in(b, live, "superviseur.chaumont")
    take_desk(a, live, "Bureau 1")
    take_desk(b, live, "Bureau 2")
    only = issue(live, 1)
    for p in (a, b):
        p.wait_for_selector(f"#ticket-{only.id}")
    held = both_at_once((a, b))
    a.evaluate("() => document.getElementById('call-next').click()")
    b.evaluate("() => document.getElementById('call-next').click()")
    for p in (a, b):
        p.wait_for_selector(f"#progress-{only.id}")
        p.wait_for_selector("#console-status .message")
    messages = sorted([a.text_content("#console-status"), b.text_content("#console-status")])
    assert messages[0] == "Le ticket %s est appelé. Bureau : %s." % (
        only.code, "Bureau 1" if status(live, only.id).desk_id == desk_id(live, "Bureau 1") else "Bureau 2")
    assert messages[1] == "Personne n'attend pour ce bureau." and len(held) == 2
    assert a.locator(".in-hand .ticket").count() + b.locator(".in-hand .ticket").count() == 1
    a.context.close()
    b.context.close()


def test_console_pages_have_no_serious_accessibility_violation_and_fit_a_tablet(live, browser):
    page = tablet(browser)
    page.goto(live.url + "/agent/login")
    assert axe_violations(page) == []
    sign_in(page, live, "superviseur.chaumont")
    issue(live, 1)
    issue(live, 2, appointment=False, nir=False)
    take_desk(page, live, "Bureau 1")
    page.click("#call-next")
    page.wait_for_selector(".in-hand .ticket")
    page.click(".in-hand details.more summary >> nth=0")  # an open confirmation too
    checked = []
    for url in ("/agent/", "/agent/register", "/agent/devices"):
        if url != "/agent/":
            page.goto(live.url + url)
        assert axe_violations(page) == [], url
        assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"], url
        # A radio button or checkbox is pressed through its whole row, label included.
        small = page.evaluate("""() => [...document.querySelectorAll('main button, main a, main summary, main input:not([type=hidden]), main select')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.id || el.textContent.trim().slice(0, 30),
                        (el.matches('[type=radio], [type=checkbox]') ? el.closest('.choice') : el).getBoundingClientRect()])
            .filter(([name, r]) => r.height < 48 || r.width < 48)
            .map(([name, r]) => name + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))""")
        assert small == [], (url, small)
        checked.append(url)
    page.goto(live.url + "/agent/register")
    page.check("#appointment-no")
    page.check("#no_nir")
    page.click("#register-submit")
    page.wait_for_selector("#ticket-number")
    assert axe_violations(page) == []
    size = page.evaluate("parseFloat(getComputedStyle(document.getElementById('ticket-number')).fontSize)")
    assert size >= 96
    page.goto(live.url + "/agent/devices")
    page.fill("#label", "Borne de l'entrée")
    page.click("#enrol-submit")
    page.wait_for_selector("#enrol-link")
    assert "/appareil/" in page.text_content("#enrol-link")
    assert axe_violations(page) == []
    page.context.close()


def tab_to(page, element_id, limit=80):
    """Press Tab until the element with *element_id* has the focus (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} not reachable with Tab")


def test_keyboard_only_a_whole_call(live, browser):
    page = tablet(browser)
    ticket = issue(live, 1)
    page.goto(live.url + "/agent/login")
    tab_to(page, "login")
    page.keyboard.type("agent.chaumont")
    page.keyboard.press("Tab")
    page.keyboard.type(demo_password("chaumont", "agent"))
    page.keyboard.press("Enter")
    page.wait_for_selector("#live-state[data-state=online]")
    tab_to(page, f"take-{desk_id(live, 'Bureau 1')}")
    page.keyboard.press("Enter")
    page.wait_for_selector("#call-next")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    tab_to(page, "call-next")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#hand-{ticket.id}")
    assert status(live, ticket.id).status == "called"
    tab_to(page, f"start-{ticket.id}")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#finish-{ticket.id}")
    tab_to(page, f"finish-{ticket.id}")
    page.keyboard.press("Enter")
    page.wait_for_selector("#hand-empty")
    assert status(live, ticket.id).status == "done"
    page.context.close()


def test_a_pending_action_cannot_be_pressed_twice(live, browser):
    page = tablet(browser)
    sign_in(page, live, "agent.chaumont")
    issue(live, 1, appointment=False)
    issue(live, 2, appointment=False)
    take_desk(page, live, "Espace numérique")  # a zone: a second call would call a second visitor
    page.evaluate("() => { const b = document.getElementById('call-next'); b.click(); b.click(); b.click(); }")
    page.wait_for_selector(".in-hand .ticket")
    page.wait_for_selector("#call-next:not([disabled])")
    with live.db.session() as s:
        called = s.exec(select(Ticket).where(Ticket.status == "called")).all()
    assert len(called) == 1


def test_reveal_shows_the_number_in_full_on_request(live, browser):
    page = tablet(browser)
    sign_in(page, live, "agent.chaumont")
    ticket = issue(live, 4)
    take_desk(page, live, "Bureau 1")
    page.click("#call-next")
    page.wait_for_selector(f"#reveal-{ticket.id}")
    masked = page.text_content(f"#nir-{ticket.id}")
    assert "•" in masked
    page.click(f"#reveal-{ticket.id}")
    page.wait_for_function(f"() => !document.getElementById('nir-{ticket.id}').textContent.includes('•')")
    assert page.text_content(f"#nir-{ticket.id}").replace(" ", "") == make_nir(4)
    assert page.evaluate("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)") == "{}{}"
    page.context.close()


def test_the_console_warns_before_the_idle_logout_and_the_agent_can_stay(browser, tmp_path):
    """RGAA 13.1: a warning shows before the idle limit; « Rester connecté » keeps the session.

    The page's timers run on Playwright's clock (fast-forwarded to the warning); the server's
    limit is real: the session must outlive it because the agent chose to stay.
    """
    server = start_live_server(tmp_path / "idle", AGENT_IDLE_MINUTES=0.1)  # 6 s; warned 1 s before
    page = tablet(browser)
    page.clock.install()
    try:
        sign_in(page, server, "agent.chaumont")
        signed_in_at = time.monotonic()  # the server's idle clock started a little before
        warning = page.locator("#idle-warning")
        assert warning.is_hidden()
        page.clock.fast_forward(5000)
        warning.wait_for(state="visible", timeout=5000)
        assert page.evaluate("document.activeElement.id") == "idle-stay"
        assert axe_violations(page) == []
        time.sleep(max(0.0, signed_in_at + 3 - time.monotonic()))  # the agent answers 3 s after signing in
        page.keyboard.press("Enter")
        warning.wait_for(state="hidden", timeout=5000)
        # Past the first limit (6 s after sign-in), within the new one (6 s after « Rester connecté »).
        time.sleep(max(0.0, signed_in_at + 7 - time.monotonic()))
        assert page.url.rstrip("/").endswith("/agent")
        answer = page.evaluate("fetch('/agent/', {credentials: 'same-origin', redirect: 'manual'})"
                               ".then(r => r.status)")
        assert answer == 200
    finally:
        page.context.close()
        server.stop()


def in_view(page, selector) -> bool:
    """Whether *selector* lies wholly inside the page's viewport now."""
    return page.evaluate("""(q) => { const r = document.querySelector(q).getBoundingClientRect();
        return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth; }""",
                         selector)


@pytest.mark.parametrize("size", [{"width": 1024, "height": 768}, {"width": 1280, "height": 800}, TABLET])
def test_on_a_tablet_the_visitor_in_hand_and_its_actions_stay_in_view(live, browser, size):
    """Landscape: two columns, the desk's panel sticky; portrait: one column, the panel brought back into
    view. After calling a visitor from far down the list, « Le visiteur est là » is on screen; « Appeler le
    suivant » waits, disabled, with its reason."""
    page = new_page(browser, viewport=size, has_touch=True)
    sign_in(page, live, "agent.chaumont")
    take_desk(page, live, "Bureau 1")
    people = [issue(live, i) for i in range(1, 13)]
    last = people[-1]
    page.wait_for_selector(f"#ticket-{last.id}")
    hand, queues = page.locator("#region-hand").bounding_box(), page.locator("#region-queues").bounding_box()
    if size["width"] >= 900:
        assert hand["x"] + hand["width"] <= queues["x"]  # side by side
    else:
        assert hand["y"] + hand["height"] <= queues["y"]  # one above the other
    page.locator(f"#call-{last.id}").scroll_into_view_if_needed()
    assert page.evaluate("() => window.scrollY") > 300  # far down the queue
    page.click(f"#call-{last.id}")
    page.wait_for_selector(f"#start-{last.id}")
    assert in_view(page, f"#start-{last.id}") and in_view(page, "#call-next")
    assert page.is_disabled("#call-next")
    assert page.text_content("#call-next-why") == "D'abord, terminez avec le visiteur en cours, ou notez-le absent."
    assert page.get_attribute("#call-next", "aria-describedby") == "call-next-why"
    assert axe_violations(page) == []
    page.click(f"#start-{last.id}")
    page.wait_for_selector(f"#finish-{last.id}")
    assert in_view(page, f"#finish-{last.id}")
    page.click(f"#finish-{last.id}")
    page.wait_for_selector("#call-next:not([disabled])")
    page.context.close()


def test_the_frequent_actions_have_keyboard_shortcuts_shown_and_announced(live, browser):
    page = tablet(browser)
    sign_in(page, live, "agent.chaumont")
    take_desk(page, live, "Bureau 1")
    first, second = issue(live, 1), issue(live, 2)
    page.wait_for_selector(f"#ticket-{second.id}")
    assert page.get_attribute("#call-next", "aria-keyshortcuts") == "S"
    assert page.text_content("#call-next kbd") == "S"
    page.keyboard.press("s")  # call the next visitor
    page.wait_for_selector(f"#start-{first.id}")
    assert status(live, first.id).status == "called"
    assert page.get_attribute(f"#start-{first.id}", "aria-keyshortcuts") == "L"
    page.keyboard.press("l")  # the visitor is here
    page.wait_for_selector(f"#finish-{first.id}")
    page.keyboard.press("t")  # done
    page.wait_for_selector(f"#ticket-{second.id}")
    page.wait_for_selector("#call-next:not([disabled])")
    assert status(live, first.id).status == "done"
    page.keyboard.press("s")
    page.wait_for_selector(f"#start-{second.id}")
    page.keyboard.press("a")  # absent: opens the confirmation, focused; nothing done yet
    assert page.evaluate("() => document.activeElement.id") == f"no-show-{second.id}"
    assert status(live, second.id).status == "called"
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => !document.getElementById('start-{second.id}')")
    assert status(live, second.id).status == "no_show"
    # In a field, a letter is typing, not a shortcut: « s » in the transfer list calls no one.
    third = issue(live, 3)
    page.wait_for_selector(f"#ticket-{third.id}")
    page.evaluate(f"() => {{ const s = document.getElementById('target-{third.id}'); s.closest('details').open = true;"
                  " s.focus(); }")
    page.keyboard.press("s")
    page.wait_for_timeout(500)  # a call would have been sent at once; none is
    assert status(live, third.id).status == "waiting" and page.locator(".in-hand .ticket").count() == 0
    assert axe_violations(page) == []
    page.context.close()


def test_after_each_desk_action_its_next_actions_are_in_view_on_a_1024_tablet(live, browser):
    """Take the desk, pause, resume, call, recall, the visitor is here, done, absent: what the agent
    presses next is on screen each time, with the queue scrolled far down."""
    page = new_page(browser, viewport={"width": 1024, "height": 768}, has_touch=True)
    sign_in(page, live, "agent.chaumont")
    people = [issue(live, i) for i in range(1, 15)]
    page.wait_for_selector(f"#ticket-{people[-1].id}")
    page.locator("#desks-title").scroll_into_view_if_needed()
    take_desk(page, live, "Bureau 1")
    steps = [("#desk-pause", "#desk-resume"), ("#desk-resume", "#call-next"),
             ("#call-next", f"#start-{people[0].id}"), (f"#recall-{people[0].id}", f"#start-{people[0].id}"),
             (f"#start-{people[0].id}", f"#finish-{people[0].id}"), (f"#finish-{people[0].id}", "#call-next:not([disabled])")]
    assert in_view(page, "#call-next")
    for pressed, shown in steps:
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")  # the agent was reading far below
        page.click(pressed)
        page.wait_for_selector(shown)
        page.wait_for_timeout(200)  # the scroll that brings the desk back
        assert in_view(page, shown), (pressed, shown)
    page.click("#call-next")
    page.wait_for_selector(f"#start-{people[1].id}")
    page.click(f"#no-show-{people[1].id} >> xpath=ancestor::details/summary")
    page.click(f"#no-show-{people[1].id}")
    page.wait_for_selector("#call-next:not([disabled])")
    assert in_view(page, "#call-next")
    assert axe_violations(page) == []
    page.context.close()


def test_a_waiting_row_is_one_short_line_with_its_rarer_actions_in_a_menu(live, browser):
    page = new_page(browser, viewport={"width": 1024, "height": 768}, has_touch=True)
    sign_in(page, live, "agent.chaumont")
    take_desk(page, live, "Bureau 1")
    first, second = issue(live, 1), issue(live, 2)
    row = f"#ticket-{second.id}"
    page.wait_for_selector(row)
    assert page.locator(row).bounding_box()["height"] <= 110  # three cards used to fill a tablet's screen
    assert page.is_visible(f"#call-{second.id}")
    assert not page.is_visible(f"#transfer-{second.id}") and not page.is_visible(f"#target-{second.id}")
    page.click(f"#menu-{second.id}")
    assert page.is_visible(f"#target-{second.id}") and page.is_visible(f"#transfer-{second.id}")
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    assert not page.is_visible(f"#target-{second.id}")
    assert page.evaluate("() => document.activeElement.id") == f"menu-{second.id}"
    page.click(f"#menu-{second.id}")
    page.select_option(f"#target-{second.id}", label="Espace numérique (N)")
    page.click(f"#transfer-{second.id}")
    page.wait_for_function(f"() => {{ const r = document.querySelector('#ticket-{second.id}');"
                           " return r && r.closest('.queue').querySelector('h3').textContent.includes('(N)'); }")
    assert status(live, second.id).letter == "R" and status(live, second.id).queue_id != first.queue_id
    page.context.close()


def test_the_registered_visitors_slip_prints_on_an_80_mm_roll(live, browser):
    page = tablet(browser)
    sign_in(page, live, "agent.chaumont")
    page.goto(live.url + "/agent/register")
    page.check("#appointment-no")
    page.check("#no_nir")
    page.click("#register-submit")
    page.wait_for_selector("#ticket-number")
    code = page.text_content("#ticket-number")
    assert page.is_visible("#print-browser") and not page.is_visible("#slip")  # the slip is for paper
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    assert page.is_visible("#slip") and not page.is_visible("#ticket-number") and not page.is_visible("#print-browser")
    page.wait_for_function("() => { const i = document.querySelector('.slip-qr'); return i.complete && i.naturalWidth > 0; }")
    box = page.locator("#slip").bounding_box()
    assert 250 <= box["width"] <= 80 / 25.4 * 96  # within an 80 mm roll
    assert page.text_content(".slip-code") == code and "Espace numérique" in page.text_content("#slip")
    visible = page.evaluate("""() => { const slip = document.getElementById('slip');
        return [...document.querySelectorAll('body *')].filter(e => !slip.contains(e) && !e.contains(slip)
            && e.getClientRects().length).map(e => e.tagName + '#' + e.id); }""")
    assert visible == []  # nothing but the slip on paper
    pdf = page.pdf(width="80mm", print_background=False)
    assert re.search(rb"/Type\s*/Pages\b[^>]*/Count\s+1\b", pdf)  # one short slip, not a page per part
    page.context.close()
