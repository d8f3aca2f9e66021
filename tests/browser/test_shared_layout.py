"""The shared layout in Chromium: accessible, languages switch, right-to-left for Arabic."""
from tests.browser.conftest import axe_violations


def test_home_page_is_accessible_and_switches_language(live, page):
    page.goto(live.url + "/")
    assert page.get_attribute("html", "lang") == "fr"
    assert axe_violations(page) == []
    page.click("#language-menu summary")  # a visitor's page: eight languages behind the globe button
    page.click("text=العربية")
    assert page.get_attribute("html", "lang") == "ar"
    assert page.get_attribute("html", "dir") == "rtl"
    assert axe_violations(page) == []
    page.click("#language-menu summary")
    page.click("text=English")
    assert page.get_attribute("html", "dir") == "ltr"
    assert page.text_content("h1") == "Visitor reception"


def test_no_inline_script_runs_under_the_content_security_policy(live, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live.url + "/")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';
                             document.body.appendChild(s); }""")
    assert page.evaluate("() => window.pwned") is None
    assert any("Content Security Policy" in e for e in errors)
