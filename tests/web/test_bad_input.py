"""Bad input on every route, anonymous and signed in: a clear refusal, never a 5xx, nothing stored.

A bounded sweep (each route's path parameters and form fields, a few hostile values each);
PostgreSQL is where NUL bytes and out-of-range numbers used to end in a server error.
"""
from __future__ import annotations

import itertools
import re

import pytest

from tests.conftest import table_counts
from tests.web.test_console import Console, db

pytestmark = pytest.mark.both_engines  # also on a real PostgreSQL (tests/conftest.py)

HOSTILE = ["\x00", "a\x00b", "١٢٣", "9" * 25, "<script>alert(1)</script>", "\u200b\u200b", "é" * 300]
ID_VALUES = ["99999999999999999999", "١٢", "2147483648"]
TEXT_VALUES = ["\x00", "x" * 300, "١٢", "chaumont\n"]
FIELDS = ("nir", "phone", "login", "password", "name", "letter", "desk_id", "queue_id", "target", "key", "rating",
          "comment", "rdv", "seats", "timezone", "label", "kind", "active", "role", "appointment", "needs",
          "interpreter_language", "priority_rule", "retention_hours", "day", "opens", "closes", "sans_numero")
SKIP = ("/static", "/vendor", "/agent/static", "/agent/logout")


def paths(app):
    """Every route with hostile values in its path parameters (a few combinations each)."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(SKIP):
            continue
        names = sorted(rule.arguments)
        choices = [ID_VALUES if type(rule._converters[n]).__name__ == "IntegerConverter" else TEXT_VALUES
                   for n in names]
        for values in itertools.islice(itertools.product(*choices), 4):
            path = rule.rule
            for name, value in zip(names, values):
                path = re.sub(rf"<[^>]*\b{name}>", lambda _m, v=value: v, path)
            for method in sorted(rule.methods & {"GET", "POST"}):
                yield method, path


def test_no_route_answers_bad_input_with_a_server_error_or_stores_a_refusal(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash must show as the 500 a visitor would get
    supervisor = Console(app, "superviseur.chaumont")
    anonymous = app.test_client()
    errors = []
    for (method, path), value in itertools.product(list(paths(app)), HOSTILE):
        for client, token in ((anonymous, None), (supervisor.client, supervisor.token)):
            if method == "GET":
                r = client.get(path, query_string={"from": value, "to": value, "queue": value, "rdv": value})
            else:
                before = table_counts(db(app))
                data = dict.fromkeys(FIELDS, value) | ({"csrf_token": token} if token else {})
                r = client.post(path, data=data, headers={"X-Requested-With": "fetch"})
                if r.status_code >= 400 and table_counts(db(app)) != before:
                    errors.append((method, path, value[:12], r.status_code, "stored"))
            if r.status_code >= 500:
                errors.append((method, path, value[:12], r.status_code))
    assert errors == []
