"""Headless Chromium (Debian's package) driven by Playwright, with axe-core for accessibility."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.live import start_live_server

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def live(tmp_path, app_database):
    server = start_live_server(tmp_path / "instance", **app_database)
    yield server
    server.stop()


def new_page(browser, *, phone: bool = False, **kw):
    """Open a page (a phone-sized one if asked) that carries axe-core, CSP untouched."""
    if phone:
        kw.setdefault("viewport", {"width": 320, "height": 640})
        kw.setdefault("is_mobile", True)
        kw.setdefault("has_touch", True)
    kw.setdefault("locale", "fr-FR")
    context = browser.new_context(**kw)
    context.add_init_script(path=str(AXE))  # injected by the browser itself: the page's CSP still applies
    return context.new_page()


@pytest.fixture
def page(browser):
    p = new_page(browser)
    yield p
    p.context.close()


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the page (WCAG 2.1 A and AA rules) and return the violations of *impacts*."""
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]
