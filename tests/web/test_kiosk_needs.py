"""The visitor's needs on the phone's check-in form, and the phone call-back page (Flask test client)."""
from __future__ import annotations

import json
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from accueil.clock import service_day, utcnow
from accueil.models import Appointment, Queue, Ticket
from tests.conftest import later_today, make_nir, table_counts
from tests.web.test_console import Console, key
from tests.web.test_kiosk import csrf_from, form, present, site_id, text_of, tickets_of, words_of

pytestmark = pytest.mark.both_engines  # also on a real PostgreSQL (tests/conftest.py)


def db(app):
    return app.extensions["accueil.db"]


def book_callback(app, i: int, *, minutes: int = 90) -> tuple[Appointment, str]:
    """Book person *i* a phone call-back today at Chaumont; return it and its local time (HH:MM)."""
    at = later_today(minutes)
    vault = app.extensions["accueil.vault"]
    with db(app).write_session() as s:
        a = Appointment(site_id=site_id(app), service_day=service_day(at), at=at,
                        nir_hash=vault.hash_nir(make_nir(i)), kind="phone")
        s.add(a)
        s.commit()
        s.refresh(a)
    return a, at.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")


def queue_letter(app, ticket: Ticket) -> str:
    with db(app).session() as s:
        return s.get(Queue, ticket.queue_id).letter


# --- needs ---------------------------------------------------------------------------------

def test_the_needs_group_is_closed_by_default_and_offers_each_language_in_its_own_language(app, client):
    present(app, client)
    html = client.get("/k/chaumont", query_string={"rdv": "non"}).get_data(as_text=True)
    assert '<details class="needs" id="needs-group">' in html  # closed: no « open »
    assert "Langue des signes, interprète, priorité" in text_of(client.get("/k/chaumont?rdv=non"))
    assert '<option value="ar" lang="ar">العربية</option>' in html
    assert '<option value="uk" lang="uk">Українська</option>' in html
    assert "<script>" not in html  # the CSP forbids inline scripts: the group is a native <details>


def test_needs_stated_on_the_phone_reach_the_ticket(app, client):
    present(app, client)
    data = form(client) | {"nir": make_nir(11), "needs": ["lsf", "mobility"], "interpreter_language": "ar",
                           "priority": "1"}
    r = client.post("/k/chaumont", data=data)
    assert r.status_code == 303 and r.headers["Location"].startswith("/ticket/")
    [ticket] = tickets_of(app)
    assert ticket.needs == 1 | 2 | 4 and ticket.interpreter_language == "ar" and ticket.priority == 1
    assert ticket.channel == "self"
    page = words_of(client.get(r.headers["Location"]))  # and the ticket says them back
    assert ("Nous avons noté : la langue des signes (LSF), un interprète : العربية, un bureau au rez-de-chaussée, "
            "un passage prioritaire.") in page


def test_another_language_asks_for_an_interpreter_without_naming_one(app, client):
    present(app, client)
    client.post("/k/chaumont", data=form(client) | {"nir": make_nir(12), "interpreter_language": "autre"})
    [ticket] = tickets_of(app)
    assert ticket.needs == 2 and ticket.interpreter_language is None and ticket.priority == 0
    assert "Nous avons noté : un interprète." in words_of(client.get(f"/ticket/{ticket.public_id}"))


def test_no_need_stated_gives_a_plain_ticket(app, client):
    present(app, client)
    client.post("/k/chaumont", data=form(client) | {"nir": make_nir(13), "interpreter_language": ""})
    [ticket] = tickets_of(app)
    assert "Nous avons noté" not in text_of(client.get(f"/ticket/{ticket.public_id}"))
    assert ticket.needs == 0 and ticket.interpreter_language is None and ticket.priority == 0


@pytest.mark.parametrize("extra, field, message", [
    ({"needs": ["lsf", "teleport"]}, "needs", "Besoin inconnu."),
    ({"interpreter_language": "xx"}, "interpreter_language", "Cette langue n'est pas proposée."),
    ({"interpreter_language": "<script>"}, "interpreter_language", "Cette langue n'est pas proposée."),
    ({"priority": "9"}, "priority", "Besoin inconnu."),
])
def test_a_wrong_need_is_told_beside_its_field_and_nothing_is_stored(app, client, extra, field, message):
    present(app, client)
    before = table_counts(db(app))
    r = client.post("/k/chaumont", data=form(client) | {"nir": make_nir(14), "phone": "06 12 34 56 78"} | extra)
    assert r.status_code == 422
    html = text_of(r)
    error_id = {"needs": "needs-error", "interpreter_language": "interpreter-error", "priority": "priority-error"}[field]
    assert f'<p class="error" id="{error_id}">{message}</p>' in html
    assert '<details class="needs" id="needs-group" open>' in html  # opened on the error
    assert 'aria-invalid="true"' in html and "<script>" not in r.get_data(as_text=True)
    assert table_counts(db(app)) == before
    # The rest of the answers is kept for the next try.
    assert make_nir(14) in html and 'value="06 12 34 56 78"' in html


def test_answers_are_kept_when_the_nir_is_wrong(app, client):
    present(app, client)
    r = client.post("/k/chaumont", data=form(client) | {"nir": "123", "needs": ["lsf"], "interpreter_language": "tr"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and tickets_of(app) == []
    assert 'id="need-lsf" name="needs" value="lsf" checked' in html
    assert '<option value="tr" lang="tr" selected>' in html


# --- phone call-back only -------------------------------------------------------------------

def callback_page(app, client, i: int, **extra):
    """Check in person *i*, whose only appointment is a call-back: the page that says so."""
    present(app, client)
    r = client.post("/k/chaumont", data=form(client, rdv="oui") | {"nir": make_nir(i)} | extra)
    assert r.status_code == 303 and r.headers["Location"] == "/k/chaumont/rappel", r.get_data(as_text=True)[:300]
    return client.get("/k/chaumont/rappel")


def test_a_call_back_only_gets_no_ticket_and_no_detail_of_the_appointment(app, client):
    _, local = book_callback(app, 20)
    before = table_counts(db(app))
    page = callback_page(app, client, 20, needs=["lsf"])
    assert page.status_code == 200
    body = text_of(page)
    assert "La Caf va vous appeler aujourd&#39;hui." in body or "La Caf va vous appeler aujourd'hui." in body
    assert local not in body  # whoever typed the number learns no time (an agent tells it)
    assert "Vous n'avez pas besoin d'attendre ici." in body and "Je veux quand même voir quelqu'un" in body
    assert table_counts(db(app)) == before
    # The NIR is in no page, no address, no readable session.
    assert make_nir(20) not in body
    with client.session_transaction() as sess:
        raw = json.dumps(dict(sess))
    assert make_nir(20) not in raw and "lsf" not in raw


def test_see_someone_anyway_gives_one_ticket_in_the_walk_in_queue_with_the_answers(app, client):
    callback, local = book_callback(app, 21)
    page = callback_page(app, client, 21, needs=["lsf"], interpreter_language="es", phone="06 12 34 56 78")
    r = client.post("/k/chaumont/rappel", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.status_code == 303 and r.headers["Location"].startswith("/ticket/")
    [ticket] = tickets_of(app)
    assert queue_letter(app, ticket) == "N" and ticket.appointment_id == callback.id
    assert not ticket.appointment_not_found and ticket.claimed_appointment
    assert ticket.needs == 1 | 2 and ticket.interpreter_language == "es" and ticket.phone_enc is not None
    assert ticket.nir_hash == app.extensions["accueil.vault"].hash_nir(make_nir(21))
    assert f"Votre rendez-vous par téléphone est à {local}." in text_of(client.get(r.headers["Location"]))
    # Used up: the page now leads to the ticket, and the sealed answers are gone.
    assert client.get("/k/chaumont/rappel").headers["Location"] == r.headers["Location"]
    with client.session_transaction() as sess:
        assert "callback" not in sess


def test_see_someone_anyway_needs_the_csrf_token(app, client):
    book_callback(app, 22)
    callback_page(app, client, 22)
    assert client.post("/k/chaumont/rappel", data={}).status_code == 400
    assert tickets_of(app) == []


def test_a_double_tap_on_see_someone_anyway_gives_one_ticket(app, client):
    book_callback(app, 23)
    page = callback_page(app, client, 23)
    data = {"csrf_token": csrf_from(page.get_data(as_text=True))}
    # The second tap leaves before the first answer arrives: it carries the same session, no ticket cookie.
    twin = app.test_client()
    with twin.session_transaction() as theirs, client.session_transaction() as mine:
        theirs.update(dict(mine))
    first = client.post("/k/chaumont/rappel", data=data)
    second = twin.post("/k/chaumont/rappel", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(tickets_of(app)) == 1


def test_taps_at_the_same_instant_give_one_ticket(app, client):
    book_callback(app, 24)
    page = callback_page(app, client, 24)
    data = {"csrf_token": csrf_from(page.get_data(as_text=True))}
    phones = [app.test_client() for _ in range(4)]
    for p in phones:
        with p.session_transaction() as theirs, client.session_transaction() as mine:
            theirs.update(dict(mine))
    start = threading.Barrier(len(phones))
    answers = []

    def tap(p):
        start.wait()
        answers.append(p.post("/k/chaumont/rappel", data=data).headers.get("Location"))

    threads = [threading.Thread(target=tap, args=(p,)) for p in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(answers)) == 1 and answers[0].startswith("/ticket/")
    assert len(tickets_of(app)) == 1


def test_an_altered_or_missing_sealed_answer_leads_back_to_the_form(app, client):
    book_callback(app, 25)
    page = callback_page(app, client, 25)
    token = csrf_from(page.get_data(as_text=True))
    with client.session_transaction() as sess:
        sealed = sess["callback"]
        sess["callback"] = sealed[:-6] + ("AAAAAA" if not sealed.endswith("AAAAAA") else "BBBBBB")
    r = client.post("/k/chaumont/rappel", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"] == "/k/chaumont"
    assert client.get("/k/chaumont/rappel").headers["Location"] == "/k/chaumont"
    assert tickets_of(app) == []
    other = app.test_client()  # never had a call-back
    present(app, other)
    assert other.get("/k/chaumont/rappel").headers["Location"] == "/k/chaumont"


def test_the_sealed_answers_are_for_their_site_only(app, client):
    book_callback(app, 26)
    page = callback_page(app, client, 26)
    present(app, client, "saint-dizier")
    r = client.post("/k/saint-dizier/rappel", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.status_code == 303 and r.headers["Location"] == "/k/saint-dizier"
    assert tickets_of(app) == []


def test_an_in_person_appointment_the_same_day_wins_over_the_call_back(app, client):
    book_callback(app, 27)
    vault = app.extensions["accueil.vault"]
    with db(app).write_session() as s:
        at = utcnow().replace(second=0, microsecond=0)
        s.add(Appointment(site_id=site_id(app), service_day=service_day(at), at=at,
                          nir_hash=vault.hash_nir(make_nir(27))))
        s.commit()
    present(app, client)
    r = client.post("/k/chaumont", data=form(client, rdv="non") | {"nir": make_nir(27)})
    assert r.headers["Location"].startswith("/ticket/")
    [ticket] = tickets_of(app)
    assert queue_letter(app, ticket) == "R"


# --- assisted registration ------------------------------------------------------------------

def test_the_agent_is_told_of_the_call_back_and_may_still_register(app):
    callback, local = book_callback(app, 30)
    c = Console(app, "agent.chaumont")
    before = table_counts(db(app))
    r = c.post("/agent/register", json=False, appointment="yes", nir=make_nir(30), needs="mobility", key=key())
    html = text_of(r)
    assert r.status_code == 200 and f"Rendez-vous téléphonique à {local}." in html
    assert 'id="register-confirm-callback"' in html
    assert table_counts(db(app)) == before
    r = c.post("/agent/register", json=False, appointment="yes", nir=make_nir(30), needs="mobility",
               confirm_callback="1", key=key())
    assert r.status_code == 303
    with db(app).session() as s:
        t = s.exec(select(Ticket).where(Ticket.channel == "assisted")).one()
    assert queue_letter(app, t) == "N" and t.appointment_id == callback.id and t.needs == 4
    # The console shows the call-back on the ticket.
    assert f"Rendez-vous à {local} (par téléphone)" in text_of(c.get("/agent/"))
