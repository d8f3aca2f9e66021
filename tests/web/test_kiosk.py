"""Kiosk screen, check-in and ticket pages over HTTP (Flask test client, real database)."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from pyzbar.pyzbar import decode
from sqlmodel import select

from accueil import tickets
from accueil.clock import utcnow
from accueil.devices import create_enrolment, revoke
from accueil.models import Site, SurveyAnswer, Ticket
from accueil.presence import PresenceCodes
from tests.conftest import make_nir, table_counts

pytestmark = pytest.mark.both_engines  # also on a real PostgreSQL (tests/conftest.py)

WRONG_KEY = "295109912611199"
NIR_ERRORS = {
    WRONG_KEY: "Le numéro est faux. Vérifiez les deux derniers chiffres.",
    "2951099126111": "Il manque les deux derniers chiffres. Ils sont sur votre carte Vitale.",
    "29510991261119": "Le numéro a 15 chiffres, vous en avez tapé 14.",
    "2951099126111933": "Le numéro a 15 chiffres, vous en avez tapé 16.",
    "2951O99126111AB": "Le numéro de sécurité sociale contient seulement des chiffres. Pour la Corse, il peut contenir 2A ou 2B.",
    "   ": "Vous n'avez pas écrit de numéro de sécurité sociale.",
}
PHONE_ERRORS = {
    "abc": "Le numéro de téléphone contient seulement des chiffres. Il peut commencer par +.",
    "06 12 34 56 7": "Le numéro de téléphone a 10 chiffres, vous en avez tapé 9.",
    "07 00 00 00 00": "Ce numéro de téléphone n'existe pas. Vérifiez-le.",
}


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def text_of(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))


def words_of(response) -> str:
    """The page's text as read: its tags dropped, its spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", "", text_of(response)).split())


def site_id(app, slug="chaumont") -> int:
    with app.extensions["accueil.db"].session() as s:
        return s.exec(select(Site).where(Site.slug == slug)).one().id


def code_for(app, slug="chaumont", now=None) -> str:
    return PresenceCodes(app.config["SECRET_KEY"]).issue(site_id(app, slug), now=now or utcnow())


def enrol_kiosk(app, client, slug="chaumont", kind="kiosk"):
    with app.extensions["accueil.db"].write_session() as s:
        device, token = create_enrolment(s, site_id=site_id(app, slug), kind=kind, label="Test", now=utcnow())
        s.commit()
    page = client.get(f"/appareil/{token}")
    client.post(f"/appareil/{token}", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    return device


def present(app, client, slug="chaumont"):
    r = client.get(f"/k/{slug}/{code_for(app, slug)}")
    assert r.status_code == 303 and r.headers["Location"] == f"/k/{slug}"
    return r


def form(client, slug="chaumont", rdv="non"):
    page = client.get(f"/k/{slug}", query_string={"rdv": rdv})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return {"csrf_token": csrf_from(html), "rdv": rdv,
            "once": re.search(r'name="once" value="([^"]+)"', html).group(1)}


def tickets_of(app):
    with app.extensions["accueil.db"].session() as s:
        return list(s.exec(select(Ticket).order_by(Ticket.id)).all())


# --- kiosk screen --------------------------------------------------------------------------

def test_only_the_enrolled_kiosk_shows_a_qr_code(app, client):
    anonymous = client.get("/kiosk/chaumont")
    assert anonymous.status_code == 200 and "qr.svg" not in text_of(anonymous)
    assert "Pas de smartphone ? Adressez-vous à l'accueil." in text_of(anonymous)
    assert client.get("/kiosk/chaumont/qr.svg").status_code == 403
    enrol_kiosk(app, client)
    screen = client.get("/kiosk/chaumont")
    assert 'src="/kiosk/chaumont/qr.svg"' in text_of(screen)
    assert client.get("/kiosk/saint-dizier/qr.svg").status_code == 403  # another site's kiosk
    display = app.test_client()
    enrol_kiosk(app, display, kind="display")
    assert display.get("/kiosk/chaumont/qr.svg").status_code == 403  # a display is not a kiosk
    assert client.get("/kiosk/nowhere").status_code == 404


def test_the_qr_code_opens_the_check_in_of_its_site(app, client):
    enrol_kiosk(app, client)
    svg = client.get("/kiosk/chaumont/qr.svg")
    assert svg.mimetype == "image/svg+xml" and svg.headers["Cache-Control"] == "no-store"
    link = _decode_svg(svg.data)
    assert link.startswith("http://localhost/k/chaumont/")
    phone = app.test_client()
    r = phone.get(link.replace("http://localhost", ""))
    assert r.status_code == 303 and r.headers["Location"] == "/k/chaumont"
    assert "J'ai un rendez-vous" in words_of(phone.get("/k/chaumont"))


def _decode_svg(svg: bytes) -> str:
    """Draw the QR code's SVG path (unit squares) with Pillow and decode it with zbar."""
    from PIL import Image, ImageDraw

    text = svg.decode()
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', text).group(1))
    scale = 8
    img = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(img)
    for x, y in re.findall(r"M(\d+),(\d+)H", text):
        x, y = int(x), int(y)
        draw.rectangle([x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1], fill=0)
    return decode(img)[0].data.decode()


def test_public_base_url_is_used_in_the_qr_code(tmp_path):
    from tests.live import demo_app

    app = demo_app(tmp_path / "i", RATELIMIT_ENABLED=False, PUBLIC_BASE_URL="https://accueil.caf.example/")
    client = app.test_client()
    enrol_kiosk(app, client)
    assert _decode_svg(client.get("/kiosk/chaumont/qr.svg").data).startswith("https://accueil.caf.example/k/chaumont/")
    app.extensions["accueil.db"].dispose()


def test_a_revoked_kiosk_stops_showing_the_code(app, client):
    device = enrol_kiosk(app, client)
    with app.extensions["accueil.db"].write_session() as s:
        revoke(s, device.id, now=utcnow())
        s.commit()
    assert client.get("/kiosk/chaumont/qr.svg").status_code == 403
    assert "qr.svg" not in text_of(client.get("/kiosk/chaumont"))


# --- presence ------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["forged.abc", "12345.AAAAAAAAAAAAAAAA", "<script>x</script>", "expired", "other"])
def test_bad_codes_give_a_plain_page_and_no_presence(app, client, code):
    if code == "expired":
        code = code_for(app, now=utcnow() - timedelta(minutes=10))
    elif code == "other":
        code = code_for(app, "saint-dizier")
    before = table_counts(app.extensions["accueil.db"])
    r = client.get(f"/k/chaumont/{code}")
    assert r.status_code == 410
    assert "Ce code est trop ancien. Scannez le code affiché sur l'écran de l'accueil." in text_of(r)
    assert "<script>x" not in r.get_data(as_text=True)
    assert client.get("/k/chaumont").status_code == 403  # no presence was remembered
    assert table_counts(app.extensions["accueil.db"]) == before


def test_without_a_scan_there_is_no_check_in(app, client):
    r = client.get("/k/chaumont")
    assert r.status_code == 403 and "scannez le code" in text_of(r)
    page = client.get("/")  # any page gives a CSRF token
    r = client.post("/k/chaumont", data={"csrf_token": csrf_from(text_of(enrol_page(app, client))),
                                         "rdv": "non", "nir": make_nir(1)})
    assert r.status_code == 403 and tickets_of(app) == []
    assert page.status_code == 200


def enrol_page(app, client):
    with app.extensions["accueil.db"].write_session() as s:
        _, token = create_enrolment(s, site_id=site_id(app), kind="kiosk", label="Test", now=utcnow())
        s.commit()
    return client.get(f"/appareil/{token}")


def test_presence_is_for_one_site_only(app, client):
    present(app, client, "saint-dizier")
    assert client.get("/k/chaumont").status_code == 403
    assert client.get("/k/saint-dizier").status_code == 200


def test_the_check_in_url_holds_no_token_and_is_never_cached(app, client):
    r = present(app, client)
    assert r.headers["Location"] == "/k/chaumont"
    page = client.get("/k/chaumont?rdv=oui")
    assert page.headers["Cache-Control"] == "no-store"


# --- check-in ------------------------------------------------------------------------------

def test_check_in_without_appointment_goes_to_the_espace_numerique(app, client):
    present(app, client)
    data = form(client) | {"nir": "1 85 01 75 056 001 " + make_nir(0)[-2:], "phone": "06 12 34 56 78"}
    r = client.post("/k/chaumont", data=data)
    assert r.status_code == 303 and r.headers["Location"].startswith("/ticket/")
    [ticket] = tickets_of(app)
    assert ticket.letter == "N" and ticket.channel == "self" and ticket.phone_enc is not None
    assert r.headers["Location"] == f"/ticket/{ticket.public_id}"
    cookie = r.headers["Set-Cookie"]
    assert f"accueil_ticket_chaumont={ticket.public_id}" in cookie and "HttpOnly" in cookie
    assert make_nir(0) not in cookie and make_nir(0) not in r.headers["Location"]
    page = client.get(r.headers["Location"])
    body = text_of(page)
    assert "N001" in body and "espace numérique" in body and "Vous êtes la prochaine personne appelée." in body
    assert make_nir(0) not in body and "0612345678" not in body.replace(" ", "")


def test_an_appointment_found_goes_to_the_desks_with_its_time(app, client):
    from accueil.demo import DEMO_APPOINTMENT_NIRS

    present(app, client)
    r = client.post("/k/chaumont", data=form(client, rdv="non") | {"nir": DEMO_APPOINTMENT_NIRS["chaumont"][0]})
    [ticket] = tickets_of(app)
    assert ticket.letter == "R" and ticket.appointment_id is not None
    body = text_of(client.get(r.headers["Location"]))
    assert re.search(r"Votre rendez-vous est à \d\d:\d\d\.", body)


def test_said_appointment_but_none_found_is_said_honestly(app, client):
    present(app, client)
    r = client.post("/k/chaumont", data=form(client, rdv="oui") | {"nir": make_nir(3)})
    [ticket] = tickets_of(app)
    assert ticket.letter == "R" and ticket.appointment_not_found
    assert "Nous n'avons pas trouvé votre rendez-vous." in text_of(client.get(r.headers["Location"]))


def test_without_a_number_the_visitor_still_gets_a_flagged_ticket(app, client):
    present(app, client)
    r = client.post("/k/chaumont", data=form(client) | {"nir": "", "phone": "", "sans_numero": "1"})
    assert r.status_code == 303
    [ticket] = tickets_of(app)
    assert ticket.needs_identification and ticket.nir_hash is None and ticket.phone_enc is None


def test_a_number_typed_then_without_number_chosen_is_not_stored(app, client):
    present(app, client)
    client.post("/k/chaumont", data=form(client) | {"nir": make_nir(5), "sans_numero": "1"})
    [ticket] = tickets_of(app)
    assert ticket.nir_enc is None and ticket.nir_hash is None


def test_double_tap_back_button_and_second_scan_give_the_same_ticket(app, client):
    present(app, client)
    data = form(client) | {"sans_numero": "1"}
    first = client.post("/k/chaumont", data=data)
    # The same form sent again (double tap, resend) by a phone that did not get the cookie yet:
    other_cookies = app.test_client()
    present(app, other_cookies)
    with other_cookies.session_transaction() as sess, client.session_transaction() as mine:
        sess.update(dict(mine))
    again = other_cookies.post("/k/chaumont", data=data)
    assert again.headers["Location"] == first.headers["Location"]
    # A second scan on the phone that has the ticket goes straight to it:
    present(app, client)
    r = client.get("/k/chaumont")
    assert r.status_code == 303 and r.headers["Location"] == first.headers["Location"]
    r = client.post("/k/chaumont", data=form_after_ticket(client) | {"sans_numero": "1"})
    assert r.headers["Location"] == first.headers["Location"]
    assert len(tickets_of(app)) == 1


def test_one_form_sent_to_two_processes_at_once_makes_one_ticket(app, client, tmp_path, app_database):
    """Two apps on the same database stand for two server processes; eight sendings of one form race."""
    import threading

    from tests.live import demo_app

    other = demo_app(tmp_path / "instance", RATELIMIT_ENABLED=False, TESTING=True, **app_database)
    present(app, client)
    data = form(client) | {"sans_numero": "1"}  # no NIR: only the form's key can tell the sendings apart
    with client.session_transaction() as mine:
        session = dict(mine)
    phones = []
    for i in range(8):
        phone = (app if i % 2 else other).test_client()
        with phone.session_transaction() as sess:
            sess.update(session)
        phones.append(phone)
    barrier, answers = threading.Barrier(len(phones)), []

    def send(phone):
        barrier.wait()
        answers.append(phone.post("/k/chaumont", data=data))

    threads = [threading.Thread(target=send, args=(p,)) for p in phones]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert {r.status_code for r in answers} == {303}
    assert len({r.headers["Location"] for r in answers}) == 1 and len(tickets_of(app)) == 1
    other.extensions["accueil.db"].dispose()


def form_after_ticket(client):
    page = client.get("/")
    return {"csrf_token": csrf_from(text_of(page)) if 'name="csrf_token"' in text_of(page)
            else _token(client), "rdv": "non", "once": "another-form"}


def _token(client):
    with client.session_transaction() as sess:
        raw = sess.get("csrf_token")
    from flask import current_app  # noqa: F401
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(client.application.secret_key, salt="wtf-csrf-token").dumps(raw)


def test_the_same_number_twice_gives_the_ticket_back_to_its_owner_only(app, client):
    present(app, client)
    a = client.post("/k/chaumont", data=form(client) | {"nir": make_nir(7), "phone": "06 12 34 56 78"})
    assert a.status_code == 303
    stranger = app.test_client()  # another phone, the same NIR: told to see an agent, shown nothing
    present(app, stranger)
    for phone in ("", "07 81 23 45 67"):
        r = stranger.post("/k/chaumont", data=form(stranger) | {"nir": make_nir(7), "phone": phone})
        assert r.status_code == 422 and "Ce numéro a déjà un ticket aujourd" in text_of(r)
        assert "/ticket/" not in text_of(r) and a.headers["Location"] not in text_of(r)
    owner = app.test_client()  # the owner on a new phone, with their number: their page back
    present(app, owner)
    b = owner.post("/k/chaumont", data=form(owner) | {"nir": make_nir(7), "phone": "0612345678"})
    assert b.headers["Location"] == a.headers["Location"] and len(tickets_of(app)) == 1
    assert tickets_of(app)[0].checkin_attempts == 2  # the agents' console says it happened


@pytest.mark.parametrize("nir,message", list(NIR_ERRORS.items()))
def test_each_nir_error_is_told_next_to_the_field_and_nothing_is_stored(app, client, nir, message):
    present(app, client)
    before = table_counts(app.extensions["accueil.db"])
    r = client.post("/k/chaumont", data=form(client) | {"nir": nir, "phone": "06 12 34 56 78"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(r'<p class="error" id="nir-error">' + re.escape(message.replace("'", "&#39;")), html)
    assert 'aria-invalid="true"' in html and 'aria-describedby="nir-hint nir-error"' in html
    assert 'value="06 12 34 56 78"' in html  # what was typed is kept
    assert f'value="{nir}"' in html or not nir.strip()
    assert table_counts(app.extensions["accueil.db"]) == before
    # Leaving the page and coming back: the number is gone.
    assert nir.strip() == "" or nir not in client.get("/k/chaumont?rdv=non").get_data(as_text=True)


@pytest.mark.parametrize("phone,message", list(PHONE_ERRORS.items()))
def test_each_phone_error_is_told_next_to_the_field_and_nothing_is_stored(app, client, phone, message):
    present(app, client)
    before = table_counts(app.extensions["accueil.db"])
    r = client.post("/k/chaumont", data=form(client) | {"nir": make_nir(2), "phone": phone})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(r'<p class="error" id="phone-error">' + re.escape(message.replace("'", "&#39;")), html)
    assert f'value="{make_nir(2)}"' in html and "nir-error" not in html
    assert table_counts(app.extensions["accueil.db"]) == before


def test_both_errors_at_once_are_listed_at_the_top(app, client):
    present(app, client)
    r = client.post("/k/chaumont", data=form(client) | {"nir": WRONG_KEY, "phone": "abc"})
    html = text_of(r)
    start = html.index('id="error-summary"')
    summary = html[start:html.index("</ul>", start)]
    assert 'href="#nir"' in summary and 'href="#phone"' in summary


def test_script_tags_in_fields_are_escaped_and_nothing_is_stored(app, client):
    present(app, client)
    before = table_counts(app.extensions["accueil.db"])
    evil = '"><script>alert(1)</script>'
    r = client.post("/k/chaumont", data=form(client) | {"nir": evil, "phone": evil})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert table_counts(app.extensions["accueil.db"]) == before


def test_a_one_megabyte_body_is_refused_plainly_and_nothing_is_stored(app, client):
    present(app, client)
    data = form(client)
    before = table_counts(app.extensions["accueil.db"])
    body = "&".join(f"{k}={v}" for k, v in data.items()) + "&nir=" + "1" * (1024 * 1024)
    r = client.post("/k/chaumont", data=body, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 413 and "trop longues" in text_of(r)
    assert table_counts(app.extensions["accueil.db"]) == before


def test_a_long_field_is_a_length_error(app, client):
    present(app, client)
    r = client.post("/k/chaumont", data=form(client) | {"nir": "1" * 5000})
    assert r.status_code == 422 and "vous en avez tapé 41" in text_of(r)
    assert tickets_of(app) == []


def test_check_in_needs_the_csrf_token(app, client):
    present(app, client)
    data = form(client)
    del data["csrf_token"]
    r = client.post("/k/chaumont", data=data | {"nir": make_nir(1)})
    assert r.status_code == 400 and tickets_of(app) == []


def test_a_missing_choice_goes_back_to_step_one(app, client):
    present(app, client)
    r = client.post("/k/chaumont", data=form(client) | {"rdv": "peut-être", "nir": make_nir(1)})
    assert r.status_code == 422 and "Vous avez un rendez-vous ?" in words_of(r) and tickets_of(app) == []


# --- ticket page and survey ----------------------------------------------------------------

def checked_in(app, client, nir=None):
    present(app, client)
    extra = {"nir": nir} if nir else {"sans_numero": "1"}
    r = client.post("/k/chaumont", data=form(client) | extra)
    return r.headers["Location"].rsplit("/", 1)[1]


def test_unknown_ticket_links_give_a_plain_page(client):
    for link in ("x" * 32, "short", "<script>"):
        r = client.get(f"/ticket/{link}")
        assert r.status_code == 404 and "Ce ticket n'existe pas." in text_of(r)


def move(app, public_id, *actions):
    db = app.extensions["accueil.db"]
    with db.session() as s:
        t = s.exec(select(Ticket).where(Ticket.public_id == public_id)).one()
        desk = 4  # Chaumont's « Espace numérique » desk in the demo data
    for action in actions:
        with db.write_session() as s:
            if action == "call":
                tickets.call_next(s, site_id=t.site_id, desk_id=desk, now=utcnow())
            else:
                getattr(tickets, action)(s, site_id=t.site_id, ticket_id=t.id, now=utcnow())
            s.commit()


def test_the_called_ticket_says_its_your_turn_with_the_desk(app, client):
    public_id = checked_in(app, client)
    move(app, public_id, "call")
    body = text_of(client.get(f"/ticket/{public_id}"))
    assert "<title>C'est votre tour — Ticket N001" in body and 'class="visitor ticket-page turn"' in body
    assert '<p class="turn-go">Allez à :</p>' in body and 'class="turn-desk">Espace numérique</p>' in body
    assert 'class="turn-directions">Au fond de la salle d\'attente</p>' in body  # the desk's directions
    assert 'id="called-round" class="turn-round" hidden' in body
    move(app, public_id, "recall")
    body = text_of(client.get(f"/ticket/{public_id}"))
    assert 'id="called-round" class="turn-round">2e appel</p>' in body


def test_a_visitor_can_leave_the_queue_from_their_page(app, client):
    public_id = checked_in(app, client, make_nir(7))
    page = client.get(f"/ticket/{public_id}")
    assert "Je pars" in text_of(page) and "Vous quittez la file. Votre ticket sera annulé." in text_of(page)
    token = csrf_from(page.get_data(as_text=True))
    assert client.post(f"/ticket/{public_id}/partir").status_code == 400  # no CSRF token: nothing happens
    with app.extensions["accueil.db"].session() as s:
        assert s.exec(select(Ticket).where(Ticket.public_id == public_id)).one().status == "waiting"
    r = client.post(f"/ticket/{public_id}/partir", data={"csrf_token": token})
    assert r.status_code == 303
    page = text_of(client.get(f"/ticket/{public_id}"))
    assert "Vous avez quitté la file." in page and "Je pars" not in page
    with app.extensions["accueil.db"].session() as s:
        t = s.exec(select(Ticket).where(Ticket.public_id == public_id)).one()
        assert (t.status, t.left) == ("cancelled", True)
        from accueil.stats import compute
        fig = compute(s, site_id=t.site_id, start=t.service_day, end=t.service_day)
    assert fig.left_before_call == 1
    # Twice (a double tap) or on a ticket that is not there: a page, never an error.
    assert client.post(f"/ticket/{public_id}/partir", data={"csrf_token": token}).status_code == 303
    assert client.post("/ticket/" + "x" * 30 + "/partir", data={"csrf_token": token}).status_code == 404


def test_after_the_visit_a_survey_is_stored_without_link_and_once(app, client):
    public_id = checked_in(app, client, make_nir(9))
    move(app, public_id, "call", "start", "finish")
    page = client.get(f"/ticket/{public_id}")
    assert "Merci de votre visite." in text_of(page)
    token = csrf_from(page.get_data(as_text=True))
    r = client.post(f"/ticket/{public_id}/avis", data={"csrf_token": token, "rating": "6"})
    assert r.status_code == 422 and "Choisissez une note de 1 à 5." in text_of(r)
    r = client.post(f"/ticket/{public_id}/avis",
                    data={"csrf_token": token, "rating": "4", "comment": "<script>alert(1)</script> bien"})
    assert r.status_code == 303
    page = client.get(r.headers["Location"])
    assert "Merci pour votre avis." in text_of(page) and 'name="rating"' not in text_of(page)
    client.post(f"/ticket/{public_id}/avis", data={"csrf_token": token, "rating": "1"})
    with app.extensions["accueil.db"].session() as s:
        answers = s.exec(select(SurveyAnswer)).all()
    assert len(answers) == 1 and answers[0].rating == 4 and answers[0].queue_letter == "N"
    assert set(SurveyAnswer.model_fields) == {"id", "site_id", "service_day", "queue_letter", "rating", "comment"}


def test_no_survey_before_the_end_of_the_visit(app, client):
    public_id = checked_in(app, client)
    token = csrf_from(text_of(enrol_page(app, client)))
    r = client.post(f"/ticket/{public_id}/avis", data={"csrf_token": token, "rating": "5"})
    assert r.status_code == 422
    with app.extensions["accueil.db"].session() as s:
        assert s.exec(select(SurveyAnswer)).all() == []


def test_pages_exist_in_english_and_arabic(app, client):
    present(app, client)
    client.set_cookie("lang", "ar")
    page = client.get("/k/chaumont")
    assert 'dir="rtl"' in text_of(page) and 'lang="ar"' in text_of(page)
    client.set_cookie("lang", "en")
    assert "I have an appointment" in text_of(client.get("/k/chaumont"))


# --- rate limits ----------------------------------------------------------------------------

@pytest.fixture
def limited_app(tmp_path):
    from tests.live import demo_app

    app = demo_app(tmp_path / "limited", RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    yield app
    app.extensions["accueil.db"].dispose()


def test_the_same_number_is_limited_whatever_the_address(limited_app):
    from kiosk.views import NIR_LIMIT

    per_minute = int(NIR_LIMIT.split("/")[0])
    statuses = []
    for i in range(per_minute + 1):
        phone = limited_app.test_client()
        present(limited_app, phone)
        data = form(phone) | {"nir": WRONG_KEY}
        statuses.append(phone.post("/k/chaumont", data=data,
                                   environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"}).status_code)
    assert statuses == [422] * per_minute + [429]
    other = limited_app.test_client()
    present(limited_app, other)
    r = other.post("/k/chaumont", data=form(other) | {"nir": make_nir(1)}, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert r.status_code == 303  # another number is not held back


def test_one_address_is_limited(limited_app):
    from kiosk.views import ADDRESS_LIMIT

    per_minute = int(ADDRESS_LIMIT.split("/")[0])
    client = limited_app.test_client()
    present(limited_app, client)
    data = form(client)
    codes = [client.post("/k/chaumont", data=data | {"nir": make_nir(i), "phone": "abc"}).status_code
             for i in range(per_minute + 1)]
    assert codes[:per_minute] == [422] * per_minute and codes[-1] == 429
    assert "Trop d'essais" in text_of(client.post("/k/chaumont", data=data | {"nir": make_nir(99)}))
    with limited_app.extensions["accueil.db"].session() as s:
        assert s.exec(select(Ticket)).all() == []


def test_a_huge_body_is_refused_before_the_number_limit_reads_it(limited_app):
    client = limited_app.test_client()
    present(limited_app, client)
    data = form(client)
    body = "&".join(f"{k}={v}" for k, v in data.items()) + "&nir=" + "1" * (1024 * 1024)
    r = client.post("/k/chaumont", data=body, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 413 and "trop longues" in text_of(r)
    with limited_app.extensions["accueil.db"].session() as s:
        assert s.exec(select(Ticket)).all() == []


def test_one_survey_answer_per_ticket_whatever_the_browser(app, client):
    public_id = checked_in(app, client, make_nir(10))
    move(app, public_id, "call", "start", "finish")
    phones = [app.test_client() for _ in range(3)]  # the link open on three phones at once
    tokens = [csrf_from(p.get(f"/ticket/{public_id}").get_data(as_text=True)) for p in phones]
    answers = [p.post(f"/ticket/{public_id}/avis", data={"csrf_token": token, "rating": "2"})
               for p, token in zip(phones, tokens)]
    assert [r.status_code for r in answers] == [303, 303, 303]
    assert 'name="rating"' not in text_of(app.test_client().get(f"/ticket/{public_id}"))  # no form offered again
    with app.extensions["accueil.db"].session() as s:
        assert len(s.exec(select(SurveyAnswer)).all()) == 1


def test_the_console_tells_the_agents_that_another_phone_tried_the_number(app, client):
    from tests.web.test_console import Console

    present(app, client)
    client.post("/k/chaumont", data=form(client) | {"nir": make_nir(8), "phone": "06 12 34 56 78"})
    stranger = app.test_client()
    present(app, stranger)
    assert stranger.post("/k/chaumont", data=form(stranger) | {"nir": make_nir(8)}).status_code == 422
    page = html.unescape(Console(app, "agent.chaumont").get("/agent/").get_data(as_text=True))
    assert "Un autre téléphone a essayé ce numéro : vérifiez l'identité" in page


def test_a_survey_comment_with_a_control_character_is_refused_and_nothing_stored(app, client):
    public_id = checked_in(app, client, make_nir(11))
    move(app, public_id, "call", "start", "finish")
    token = csrf_from(client.get(f"/ticket/{public_id}").get_data(as_text=True))
    r = client.post(f"/ticket/{public_id}/avis", data={"csrf_token": token, "rating": "4", "comment": "bien\x00"})
    assert r.status_code == 422 and "caractère qui ne s" in html.unescape(text_of(r))
    with app.extensions["accueil.db"].session() as s:
        assert s.exec(select(SurveyAnswer)).all() == []


def test_a_phone_opens_in_its_own_language_and_numbers_read_left_to_right(app, client):
    present(app, client)
    page = text_of(client.get("/k/chaumont?rdv=non", headers={"Accept-Language": "ar-MA,ar;q=0.9,fr;q=0.5"}))
    assert '<html lang="ar" dir="rtl">' in page
    # The numbers typed and shown stay in their order inside right-to-left text.
    assert '<bdi dir="ltr" class="number">2 84 05 88 321 025 32</bdi>' in page
    assert re.search(r'<input id="nir" name="nir" type="text" dir="ltr"', page)
    assert re.search(r'<input id="phone" name="phone" type="tel" dir="ltr"', page)
    english = text_of(client.get("/k/chaumont?rdv=non", headers={"Accept-Language": "en-GB,en;q=0.8"}))
    assert '<html lang="en" dir="ltr">' in english
    unknown = text_of(client.get("/k/chaumont?rdv=non", headers={"Accept-Language": "tlh"}))
    assert '<html lang="fr" dir="ltr">' in unknown
    client.set_cookie("lang", "fr")  # chosen on the page: kept whatever the browser says
    chosen = text_of(client.get("/k/chaumont?rdv=non", headers={"Accept-Language": "ar"}))
    assert '<html lang="fr" dir="ltr">' in chosen
