"""Hypothesis writes the bodies of every HTML form: never a 5xx, and a refusal stores nothing.

Bounded and repeatable in `make test` (a fixed seed, a few dozen bodies a form, on both
engines); `make fuzz` runs the same properties much longer, with fresh random data.
"""
from __future__ import annotations

import io
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import make_nir, table_counts
from tests.web.test_console import Console, db, issue
from tests.web.test_kiosk import form, present

pytestmark = pytest.mark.both_engines  # also on a real PostgreSQL (tests/conftest.py)

LONG = os.environ.get("ACCUEIL_FUZZ") == "long"  # `make fuzz`
BOUNDED = settings(max_examples=1000 if LONG else 25, deadline=None, derandomize=not LONG, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Values people, scripts and broken phones send: any text, and the awkward kinds on purpose.
AWKWARD = st.sampled_from([
    "", " ", "\x00", "a\x00b", "١٢٣", "９９", "9" * 30, "-1", "0", "1e9", "<script>alert(1)</script>",
    "\u200b", "\u202e", "é" * 250, "chaumont", "agent.chaumont", make_nir(5), "06 12 34 56 78", "oui", "non",
    "yes", "no", "1", "lsf", "interpreter", "desks", "zone", "appointment", "agent", "supervisor", "08:30-12:00",
])
VALUES = st.one_of(AWKWARD, st.text(max_size=40), st.text(alphabet=st.characters(codec="utf-8"), max_size=300))

FORMS = {
    "kiosk check-in": ("visitor", "/k/chaumont", ("rdv", "nir", "phone", "needs", "interpreter_language", "priority",
                                                  "sans_numero", "pas_de_sms", "once")),
    "leave the queue": ("phone", "/ticket/{link}/partir", ("csrf_token",)),
    "survey": ("phone", "/ticket/{link}/avis", ("rating", "comment")),
    "login": ("anyone", "/agent/login", ("login", "password")),
    "take a desk": ("agent", "/agent/desk", ("desk_id", "confirm")),
    "call next": ("agent", "/agent/call-next", ("key",)),
    "transfer": ("agent", "/agent/tickets/{ticket}/transfer", ("target", "key")),
    "registration": ("agent", "/agent/register", ("nir", "phone", "appointment", "no_nir", "priority", "needs",
                                                   "interpreter_language", "confirm_callback", "key")),
    "site settings": ("supervisor", "/agent/configuration/site", ("name", "retention_hours", "checkin_early_minutes",
                                                                  "checkin_late_minutes", "assigned_wait_minutes",
                                                                  "priority_rule", "timezone", "notify_soon_people",
                                                                  "notify_soon_minutes", "notify_no_show", "messages")),
    "opening hours": ("supervisor", "/agent/configuration/hours",
                      tuple(f"{kind}-{d}-{i}" for d in range(7) for i in range(3) for kind in ("opens", "closes"))
                      + tuple(f"{kind}-{d}" for d in range(7) for kind in ("closed", "same"))),
    "new queue": ("supervisor", "/agent/configuration/queues", ("letter", "name", "kind", "seats", "purpose")),
    "new desk": ("supervisor", "/agent/configuration/desks", ("name", "queues", "capabilities", "directions", "printer")),
    "new screen message": ("supervisor", "/agent/configuration/messages", ("text", "link")),
    "logo and colour": ("supervisor", "/agent/configuration/branding", ("accent", "remove_logo")),
    "new account": ("supervisor", "/agent/configuration/agents", ("login", "password", "role")),
    "enrol a device": ("supervisor", "/agent/devices", ("kind", "label")),
}


@pytest.fixture
def parties(app):
    """A phone that scanned the kiosk and another that holds a ticket, an agent, a supervisor, a stranger."""
    phone = app.test_client()
    present(app, phone)
    fields = form(phone)
    r = phone.post("/k/chaumont", data=fields | {"nir": make_nir(90), "phone": "06 12 34 56 78"})
    link = r.headers["Location"].rsplit("/", 1)[1]
    visitor = app.test_client()
    present(app, visitor)
    supervisor, agent = Console(app, "superviseur.chaumont"), Console(app, "agent.chaumont")
    return {"phone": (phone, fields["csrf_token"]), "visitor": (visitor, form(visitor)["csrf_token"]),
            "anyone": (app.test_client(), None),
            "agent": (agent.client, agent.token), "supervisor": (supervisor.client, supervisor.token),
            "link": link, "ticket": issue(app, i=91)}


@pytest.mark.parametrize("name", list(FORMS))
def test_any_body_of_a_form_gets_an_answer_and_a_refusal_stores_nothing(app, parties, name):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash must show as the 500 a visitor would get
    who, path, fields = FORMS[name]
    client, token = parties[who]
    path = path.format(link=parties["link"], ticket=parties["ticket"])

    @BOUNDED
    @given(body=st.dictionaries(st.sampled_from(fields), st.one_of(VALUES, st.lists(VALUES, max_size=3)),
                                max_size=len(fields)))
    def one(body):
        if who == "visitor":
            client.delete_cookie("accueil_ticket_chaumont")  # a new visitor each time, not the last one's page
        before = table_counts(db(app))
        data = body | ({"csrf_token": token} if token else {})
        r = client.post(path, data=data, headers={"X-Requested-With": "fetch"})
        assert r.status_code < 500, (name, body)
        if r.status_code >= 400:
            assert table_counts(db(app)) == before, (name, body, r.status_code)

    one()


def test_any_file_given_as_appointments_gets_an_answer(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    supervisor = Console(app, "superviseur.chaumont")

    @BOUNDED
    @example(content=b"\x00\r\x00")  # found by `make fuzz`: a lone CR broke the csv module (a 500)
    @given(content=st.one_of(st.binary(max_size=400),
                             st.text(max_size=300).map(lambda t: ("date;heure;nir;type\n" + t).encode("utf-8")),
                             st.text(max_size=300).map(lambda t: ("date;heure;nir\n" + t).encode("cp1252", "replace"))))
    def one(content):
        r = supervisor.client.post("/agent/appointments/import", content_type="multipart/form-data",
                                   data={"csrf_token": supervisor.token, "file": (io.BytesIO(content), "rdv.csv")})
        assert r.status_code < 500, content[:80]

    one()
