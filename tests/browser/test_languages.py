"""A visitor's languages in Chromium: the phone's own language first, the globe button's eight names, a check-in
and a ticket in the language chosen, numbers that read left to right inside Arabic."""
from __future__ import annotations

from accueil.clock import utcnow
from accueil.i18n import VISITOR_LOCALES
from accueil.presence import PresenceCodes
from tests.browser.conftest import axe_violations, new_page
from tests.browser.test_visitor import chaumont
from tests.conftest import make_nir

# Left to right on screen: each visible character's box starts after the one before it in the text.
READS_LEFT_TO_RIGHT = """(el) => {
  const xs = [];
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let text = walk.nextNode(); text; text = walk.nextNode()) {
    if (text.parentElement.closest('.visually-hidden')) continue;
    for (let i = 0; i < text.length; i++) {
      if (text.data[i].trim() === '') continue;
      const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1);
      xs.push(r.getBoundingClientRect().left);
    }
  }
  return xs.length > 1 && xs.every((x, i) => i === 0 || x > xs[i - 1]);
}"""


def scanned(browser, live, **kw):
    site_id, _ = chaumont(live)
    phone = new_page(browser, phone=True, **kw)
    phone.goto(f"{live.url}/k/chaumont/{PresenceCodes(live.app.config['SECRET_KEY']).issue(site_id, now=utcnow())}")
    return phone


def test_a_ukrainian_phone_opens_in_ukrainian_and_its_visitor_picks_turkish_for_the_whole_visit(browser, live):
    phone = scanned(browser, live, locale="uk-UA")
    assert phone.get_attribute("html", "lang") == "uk"
    summary = phone.locator("#language-menu summary")
    assert summary.locator("span[lang]").inner_text().strip() == "Українська"
    assert not phone.is_visible("#language-menu a[lang=tr]")  # behind the button until asked for
    summary.click()
    names = phone.locator("#language-menu a").all_inner_texts()
    assert [n.strip() for n in names] == ["Français", "English", "العربية", "Español", "Português", "Türkçe",
                                          "Română", "Українська"]
    menu = phone.locator("#language-menu ul").bounding_box()
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 320  # the open list stays within a small phone
    assert axe_violations(phone) == []
    phone.click("#language-menu a[lang=tr]")
    assert phone.get_attribute("html", "lang") == "tr"
    phone.click("main a.choice >> nth=1")  # no appointment
    phone.wait_for_selector("#nir")
    phone.fill("#nir", make_nir(41))
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live.url}/ticket/**")
    assert phone.get_attribute("html", "lang") == "tr"
    assert phone.text_content("h1").strip() == "Sıra fişiniz"
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(phone) == []
    phone.context.close()


def test_in_arabic_numbers_read_left_to_right(browser, live):
    """« 2 84 05 88 321 025 32 » never shows as « 32 025 321 88 05 84 2 » inside right-to-left text."""
    phone = scanned(browser, live, locale="ar")
    assert phone.get_attribute("html", "dir") == "rtl"
    phone.click("main a.choice >> nth=0")
    phone.wait_for_selector("#nir")
    examples = phone.locator("main .hint bdi.number")
    assert examples.count() == 2  # the social security number's and the phone's
    for i in range(2):
        assert phone.evaluate(READS_LEFT_TO_RIGHT, examples.nth(i).element_handle()), examples.nth(i).inner_text()
    # The check sees the reversal: the same digits in the page's right-to-left text, without isolation.
    bare = phone.evaluate_handle("""() => { const p = document.createElement('p'), t = document.createElement('span');
        t.textContent = '2 84 05 88 321'; p.append('مثال: ', t); document.querySelector('main').append(p); return t; }""")
    assert not phone.evaluate(READS_LEFT_TO_RIGHT, bare)
    phone.fill("#nir", make_nir(42))
    phone.fill("#phone", "06 12 34 56 78")
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live.url}/ticket/**")
    assert phone.evaluate(READS_LEFT_TO_RIGHT, phone.locator("#ticket-code").element_handle())
    phone.context.close()


def test_every_visitor_language_fits_a_small_phone_at_each_step(browser, live):
    for n, lang in enumerate(VISITOR_LOCALES):
        phone = scanned(browser, live, locale=lang)
        assert phone.get_attribute("html", "lang") == lang
        phone.click("main a.choice >> nth=0")
        phone.wait_for_selector("#nir")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), lang
        phone.fill("#nir", make_nir(60 + n))
        phone.click("button[type=submit]")
        phone.wait_for_url(f"{live.url}/ticket/**")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), lang
        phone.context.close()
