"""Write a PNG of every screen at its real sizes and in every language, for anyone to review (`make screenshots`).

A demo server runs in this process (the test suite's live server: SQLite, the demo data); headless
Chromium (Debian's) opens each screen as its users do: an enrolled kiosk and display, a phone that
scanned the kiosk's code, agents and a supervisor signed in. Files go to screenshots/ (or the folder
given), named surface-screen-language-WIDTHxHEIGHT.png, with an index.html showing them all.

    .venv/bin/python scripts/screenshots.py [--out screenshots] [--only kiosk,phone,display,console]
"""
from __future__ import annotations

import argparse
import html
import shutil
import sys
import tempfile
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from accueil import documents  # noqa: E402
from accueil.checkin import check_in  # noqa: E402
from accueil.clock import service_day, utcnow  # noqa: E402
from accueil.demo import demo_password  # noqa: E402
from accueil.devices import create_enrolment  # noqa: E402
from accueil.i18n import STAFF_LOCALES, VISITOR_LOCALES  # noqa: E402
from accueil.lifecycle import CALLED  # noqa: E402
from accueil.models import Desk, Site, Ticket  # noqa: E402
from accueil.tickets import IN_HAND, call_next, call_ticket, finish  # noqa: E402
from accueil.tickets import start as start_visit  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.conftest import make_nir  # noqa: E402
from tests.live import start_live_server  # noqa: E402

PHONE = [(360, 740), (320, 640)]
TABLETS = [(1024, 768), (768, 1024), (1280, 800)]
PC = [(1920, 1080)]
WALL = [(1920, 1080), (1080, 1920), (1280, 800)]
CONSOLE_LANGUAGES = STAFF_LOCALES
"""The console and the display are offered in these; the visitor's screens in all eight (VISITOR_LOCALES)."""


class Shooter:
    def __init__(self, browser, live, out: Path) -> None:
        self.browser, self.live, self.out = browser, live, out
        self.files: list[Path] = []

    def context(self, size, lang: str, *, phone: bool = False, storage=None):
        kw = {"viewport": {"width": size[0], "height": size[1]}, "locale": lang}
        if phone:
            kw |= {"is_mobile": True, "has_touch": True}
        if storage is not None:
            kw["storage_state"] = storage
        context = self.browser.new_context(**kw)
        context.add_cookies([{"name": "lang", "value": lang, "url": self.live.url}])
        return context

    def shoot(self, page, surface: str, screen: str, lang: str, size) -> None:
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)  # fonts, the live state's first snapshot
        path = self.out / f"{surface}-{screen}-{lang}-{size[0]}x{size[1]}.png"
        page.screenshot(path=str(path), full_page=False)
        self.files.append(path)

    def index(self) -> Path:
        rows = "\n".join(f'<figure><img src="{p.name}" loading="lazy" alt=""><figcaption>{html.escape(p.stem)}'
                         f'</figcaption></figure>' for p in self.files)
        page = self.out / "index.html"
        page.write_text(f"<!doctype html><meta charset=utf-8><title>Accueil screens</title><style>body{{font:14px "
                        f"sans-serif}}figure{{display:inline-block;margin:8px;vertical-align:top}}img{{max-width:"
                        f"480px;max-height:480px;border:1px solid #999}}</style>{rows}")
        return page


def site_and_desk(live, slug="chaumont", desk="Bureau 1"):
    with live.db.session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        found = s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == desk)).first()
        return site.id, found.id if found else None


def enrolled(shooter: Shooter, kind: str, size, lang: str):
    """A browser context enrolled as the site's kiosk or display, and its page on the screen."""
    live = shooter.live
    site_id, _ = site_and_desk(live)
    with live.db.write_session() as s:
        _, token = create_enrolment(s, site_id=site_id, kind=kind, label=f"Écran {kind}", now=utcnow())
        s.commit()
    context = shooter.context(size, lang)
    page = context.new_page()
    page.goto(f"{live.url}/appareil/{token}")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/{kind}/chaumont")
    return context, page


def visitors(live, count: int) -> list:
    """Check in *count* visitors over the last hours of today (half with an appointment claim), the earlier
    ones called and seen after some wait, so that the day's figures have something to show."""
    site_id, desk_id = site_and_desk(live)
    now = utcnow()
    start = max(now - timedelta(hours=3), datetime.combine(service_day(now, "Europe/Paris"), time(0, 5),
                                                           tzinfo=ZoneInfo("Europe/Paris")).astimezone(timezone.utc))
    step = (now - start) / max(count, 1)
    tickets = []
    with live.db.write_session() as s:
        for i in range(count):
            at = start + step * i
            tickets.append(check_in(s, live.vault, site_id=site_id, has_appointment=i % 2 == 0, nir=make_nir(900 + i),
                                    phone="06 12 34 56 78" if i % 3 else None, needs=("lsf",) if i == 3 else (),
                                    now=at).ticket)
        s.commit()
    # The earlier half seen at the desk after waits of 5 to 40 minutes, one after the other.
    clock = start
    for i, t in enumerate(tickets[: count // 2]):
        clock = max(clock, t.arrived_at + timedelta(minutes=5 + 7 * (i % 6)))
        if clock > now - timedelta(minutes=2):
            break
        with live.db.write_session() as s:
            call_ticket(s, site_id=site_id, ticket_id=t.id, desk_id=desk_id, now=clock)
            start_visit(s, site_id=site_id, ticket_id=t.id, now=clock + timedelta(minutes=1))
            finish(s, site_id=site_id, ticket_id=t.id, now=clock + timedelta(minutes=6))
            s.commit()
        clock += timedelta(minutes=6)
    return tickets


def calls(live, count: int) -> None:
    """Call *count* visitors to the demo's desks, so that the display has its last calls to show."""
    site_id, _ = site_and_desk(live)
    with live.db.write_session() as s:
        desks = {d.name: d.id for d in s.exec(select(Desk).where(Desk.site_id == site_id)).all()}
        for i in range(count):
            check_in(s, live.vault, site_id=site_id, has_appointment=i < 3, nir=None, now=utcnow())
        s.commit()
    for name in ["Bureau 1", "Bureau 2", "Bureau 3", "Espace numérique", "Espace numérique"][:count]:
        with live.db.write_session() as s:
            call_next(s, site_id=site_id, desk_id=desks[name], now=utcnow())
            s.commit()


def kiosk_and_display(shooter: Shooter) -> None:
    from accueil import audiences

    calls(shooter.live, 5)
    for lang in STAFF_LOCALES:
        for size in WALL:
            context, page = enrolled(shooter, "kiosk", size, lang)
            page.wait_for_function("() => { const i = document.getElementById('qr-image');"
                                   " return i && i.complete && i.naturalWidth > 0; }")
            shooter.shoot(page, "kiosk", "qr", lang, size)
            context.close()
            context, page = enrolled(shooter, "display", size, lang)
            page.wait_for_function("() => document.querySelector('.board').dataset.state === 'live'")
            shooter.shoot(page, "display", "calls", lang, size)
            idle, audiences.IDLE_AFTER_SECONDS = audiences.IDLE_AFTER_SECONDS, 0  # as if nobody had been called
            try:
                page.reload()
                page.wait_for_function("() => window.AccueilDisplay && window.AccueilDisplay.message() !== null")
                if page.evaluate("() => !window.AccueilDisplay.message().link"):
                    page.wait_for_function("() => window.AccueilDisplay.message().link", timeout=20000)
                page.wait_for_function("() => { const i = document.querySelector('#now .message-qr');"
                                       " return i && i.complete && i.naturalWidth > 0; }")
                shooter.shoot(page, "display", "messages", lang, size)
            finally:
                audiences.IDLE_AFTER_SECONDS = idle
            context.close()


def phone_screens(shooter: Shooter) -> None:
    """Every screen a visitor's phone shows, in every visitor language and phone size: the typed code, both steps,
    a refusal, the ticket waiting, called, and the survey after the visit."""
    live = shooter.live
    site_id, desk_id = site_and_desk(live)
    from accueil.presence import PresenceCodes

    codes = PresenceCodes(live.app.config["SECRET_KEY"])
    with live.db.write_session() as s:  # the display's calls left a visitor at this desk: seen, then done
        for t in s.exec(select(Ticket).where(Ticket.desk_id == desk_id, col(Ticket.status).in_(IN_HAND))).all():
            if t.status == CALLED:
                start_visit(s, site_id=site_id, ticket_id=t.id, now=utcnow())
            finish(s, site_id=site_id, ticket_id=t.id, now=utcnow())
        s.commit()
    for n, lang in enumerate(VISITOR_LOCALES):
        for m, size in enumerate(PHONE):
            context = shooter.context(size, lang, phone=True)
            page = context.new_page()
            page.goto(f"{live.url}/c")
            shooter.shoot(page, "phone", "code", lang, size)
            page.goto(f"{live.url}/k/chaumont/{codes.issue(site_id, now=utcnow())}")
            shooter.shoot(page, "phone", "step1", lang, size)
            page.click("#language-menu summary")
            shooter.shoot(page, "phone", "languages", lang, size)
            page.goto(f"{live.url}/k/chaumont?rdv=oui")
            shooter.shoot(page, "phone", "step2", lang, size)
            page.fill("#nir", "1 23 45 67 890 123 45")
            page.click("button[type=submit]")
            shooter.shoot(page, "phone", "step2-error", lang, size)
            page.fill("#nir", make_nir(700 + n * len(PHONE) + m))
            page.fill("#phone", "06 12 34 56 78")
            page.locator("#needs-group summary").click()
            page.check("input[name=needs][value=lsf]")
            page.click("button[type=submit]")
            page.wait_for_url("**/ticket/**")
            shooter.shoot(page, "phone", "ticket", lang, size)
            public_id = page.url.rsplit("/", 1)[1]
            with live.db.write_session() as s:
                ticket_id = s.exec(select(Ticket.id).where(Ticket.public_id == public_id)).one()
                call_ticket(s, site_id=site_id, ticket_id=ticket_id, desk_id=desk_id, now=utcnow())
                s.commit()
            page.wait_for_selector("body.turn")
            shooter.shoot(page, "phone", "turn", lang, size)
            with live.db.write_session() as s:
                start_visit(s, site_id=site_id, ticket_id=ticket_id, now=utcnow())
                keys = ["avis-impot", "rib", "fiches-paie", "quittance-loyer", "titre-sejour"]
                request = documents.read_request(keys, {"rib": "copie", "fiches-paie": "3-mois"},
                                                 (utcnow() + timedelta(days=14)).date().isoformat(),
                                                 offered=list(documents.CATALOGUE), today=service_day(utcnow()))
                checklist = documents.give(s, site_id=site_id, ticket_id=ticket_id, request=request, now=utcnow())
                s.commit()
            page.wait_for_selector("#documents-box:not([hidden])")
            shooter.shoot(page, "phone", "serving-documents", lang, size)
            page.goto(f"{live.url}/pieces/{checklist.secret}")
            shooter.shoot(page, "phone", "documents", lang, size)
            with live.db.write_session() as s:
                finish(s, site_id=site_id, ticket_id=ticket_id, now=utcnow())
                s.commit()
            page.goto(f"{live.url}/ticket/{public_id}")
            page.wait_for_selector("form.survey")
            shooter.shoot(page, "phone", "survey", lang, size)
            context.close()


def console_screens(shooter: Shooter) -> None:
    live = shooter.live
    _, desk_id = site_and_desk(live)
    visitors(live, 24)
    for login in ("agent.chaumont", "superviseur.chaumont"):
        role = "superviseur" if login.startswith("superviseur") else "agent"
        for lang in CONSOLE_LANGUAGES:
            for size in TABLETS + PC:
                context = shooter.context(size, lang)
                page = context.new_page()
                page.goto(live.url + "/agent/login")
                if login == "agent.chaumont" and size == TABLETS[0]:
                    shooter.shoot(page, "console", "login", lang, size)
                page.fill("#login", login)
                page.fill("#password", demo_password(login.split(".", 1)[1], role))
                page.click("button[type=submit]")
                page.wait_for_selector("#live-state[data-state=online]", state="attached")
                if role == "agent":
                    if page.locator(f"#take-{desk_id}").count():
                        page.click(f"#take-{desk_id}")
                        page.wait_for_selector("#call-next")
                    shooter.shoot(page, "console", "desk", lang, size)
                    if lang == CONSOLE_LANGUAGES[0] and size == TABLETS[0]:
                        page.click("#call-next")
                        page.wait_for_timeout(500)
                    shooter.shoot(page, "console", "in-hand", lang, size)
                    if page.locator(".in-hand button[id^=start-]").count():  # « Pièces à fournir » once the visitor is there
                        page.locator(".in-hand button[id^=start-]").first.click()
                        page.wait_for_selector(".in-hand a[id^=documents-]")
                    hand = page.locator(".in-hand a[id^=documents-]")
                    if hand.count():
                        page.goto(live.url + hand.first.get_attribute("href"))
                        shooter.shoot(page, "console", "documents", lang, size)
                else:
                    for screen, path in (("supervision", "/agent/supervision"), ("statistics", "/agent/statistics"),
                                         ("configuration", "/agent/configuration"),
                                         *((f"configuration-{x}", f"/agent/configuration/{x}")
                                           for x in ("site", "hours", "queues", "desks", "agents", "messages",
                                                     "documents")),
                                         ("devices", "/agent/devices")):
                        page.goto(live.url + path)
                        shooter.shoot(page, "console", screen, lang, size)
                        if screen == "supervision":  # the day's chart, further down
                            page.locator("#day-title").scroll_into_view_if_needed()
                            page.evaluate("() => document.getElementById('day-title').scrollIntoView()")
                            shooter.shoot(page, "console", "supervision-day", lang, size)
                context.close()


SURFACES = {"kiosk": kiosk_and_display, "phone": phone_screens, "console": console_screens}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "screenshots"))
    ap.add_argument("--only", default=",".join(SURFACES), help="comma-separated: " + ", ".join(SURFACES))
    args = ap.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    tmp = Path(tempfile.mkdtemp(prefix="accueil-screens-"))
    live = start_live_server(tmp / "instance")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            shooter = Shooter(browser, live, out)
            for name in args.only.split(","):
                SURFACES[name.strip()](shooter)
            browser.close()
    finally:
        live.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(shooter.files)} screenshots in {out} (index: {shooter.index()})")


if __name__ == "__main__":
    main()
