"""The way in for phones that cannot scan: a short address and four digits that rotate with the QR code."""
from __future__ import annotations

import re

import pytest

from accueil.clock import utcnow
from accueil.presence import ROTATION, PresenceCodes
from tests.live import demo_app
from tests.web.test_kiosk import csrf_from, enrol_kiosk, site_id, text_of, tickets_of


def digits_for(app, slug="chaumont", now=None) -> str:
    return PresenceCodes(app.config["SECRET_KEY"]).issue_short(site_id(app, slug), now=now or utcnow())


def just_shown(app) -> set[str]:
    """The digits of this rotation and the one before (the page may have been drawn just before a change)."""
    now = utcnow()
    return {digits_for(app, now=now), digits_for(app, now=now - ROTATION)}


def unshown(app) -> str:
    """Four digits no site's kiosk has shown lately (so a refusal cannot turn, once in a while, into a success)."""
    now = utcnow()
    shown = {digits_for(app, slug, now=now + ROTATION * k) for slug in ("chaumont", "saint-dizier") for k in range(-4, 3)}
    return next(f"{n:04d}" for n in range(10_000) if f"{n:04d}" not in shown)


def typed(client, code) -> object:
    page = client.get("/c")
    assert page.status_code == 200
    return client.post("/c", data={"csrf_token": csrf_from(text_of(page)), "code": code})


def test_only_the_enrolled_kiosk_shows_the_digits_and_the_address(app, client):
    anonymous = client.get("/kiosk/chaumont")
    assert 'id="short-code"' not in text_of(anonymous)
    assert client.get("/kiosk/chaumont/code").status_code == 403
    enrol_kiosk(app, client)
    screen = text_of(client.get("/kiosk/chaumont"))
    shown = re.search(r'id="short-code">(\d{4})<', screen).group(1)
    assert shown in just_shown(app)  # the same rule as the proof it is checked against
    assert "localhost/c</bdi>" in screen  # typed by hand: no « http:// »
    live = client.get("/kiosk/chaumont/code")
    assert live.json["code"] in just_shown(app) and live.headers["Cache-Control"] == "no-store"
    assert client.get("/kiosk/saint-dizier/code").status_code == 403  # another site's kiosk


@pytest.mark.parametrize("slug", ["chaumont", "saint-dizier"])
def test_the_digits_open_the_check_in_of_the_site_that_shows_them(app, client, slug):
    assert client.get(f"/k/{slug}").status_code == 403  # not present yet
    answer = typed(client, " ".join(digits_for(app, slug)))  # spaces are forgiven
    assert answer.status_code == 303 and answer.headers["Location"] == f"/k/{slug}"
    assert client.get(f"/k/{slug}", query_string={"rdv": "non"}).status_code == 200
    other = "saint-dizier" if slug == "chaumont" else "chaumont"
    assert client.get(f"/k/{other}").status_code == 403  # presence is for that site only


def test_digits_from_an_arabic_keyboard_are_read(app, client):
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in digits_for(app))
    assert typed(client, arabic).status_code == 303


@pytest.mark.parametrize("code, message", [
    ("", "Tapez les 4 chiffres affichés sous le code QR."),
    ("12", "Tapez les 4 chiffres affichés sous le code QR."),
    ("12a4", "Tapez les 4 chiffres affichés sous le code QR."),
    ("<script>alert(1)</script>", "Tapez les 4 chiffres affichés sous le code QR."),
    ("12\x0034", "Tapez les 4 chiffres affichés sous le code QR."),
    ("9" * 2000, "Tapez les 4 chiffres affichés sous le code QR."),
])
def test_what_is_not_four_digits_is_said_plainly(app, client, code, message):
    answer = typed(client, code)
    assert answer.status_code == 422 and message in text_of(answer)
    assert "<script>alert" not in answer.get_data(as_text=True)
    assert client.get("/k/chaumont").status_code == 403 and tickets_of(app) == []


def test_a_wrong_code_opens_nothing(app, client):
    wrong = unshown(app)
    answer = typed(client, wrong)
    assert answer.status_code == 422
    assert "Ce code ne marche pas. Tapez les 4 chiffres affichés maintenant sous le code QR." in text_of(answer)
    assert 'aria-invalid="true"' in text_of(answer)
    assert client.get("/k/chaumont").status_code == 403


def test_the_message_is_in_the_visitors_language(app, client):
    client.set_cookie("lang", "ar")
    answer = typed(client, "12")
    assert answer.status_code == 422 and "Tapez les 4 chiffres" not in text_of(answer)
    assert 'dir="rtl"' in text_of(answer)


def test_guessing_is_cut_short_per_address(tmp_path):
    app = demo_app(tmp_path / "rl", RATELIMIT_ENABLED=True, TESTING=True)
    try:
        client = app.test_client()
        codes = [typed(client, unshown(app)).status_code for _ in range(11)]
        assert codes == [422] * 10 + [429]
    finally:
        app.extensions["accueil.sender"].stop()
        app.extensions["accueil.db"].dispose()
