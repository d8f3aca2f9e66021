"""Schemathesis generates requests from the API's own OpenAPI document: no 5xx, every answer as
the document describes it (status, body, content type), and a refusal stores nothing."""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from sqlmodel import select

from accueil.api_tokens import SCOPES, create
from accueil.clock import utcnow
from accueil.models import Site
from tests.conftest import table_counts

pytestmark = pytest.mark.both_engines  # also on a real PostgreSQL (tests/conftest.py)

LONG = os.environ.get("ACCUEIL_FUZZ") == "long"  # `make fuzz`

# What must hold of every answer. Left out: « a schema-valid request is accepted », since the
# document cannot say every rule (a statistics period of 400 days at most is refused, with a
# message the document does describe).
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]


def at_chaumont(case):
    """Aim the generated requests at a site that exists (random slugs only meet a 404: swept elsewhere)."""
    if case.path_parameters and "site" in case.path_parameters:
        case.path_parameters["site"] = "chaumont"
    return case


def test_the_api_answers_what_its_document_says(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash must show as the 500 a client would get
    db = app.extensions["accueil.db"]
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        _row, secret = create(s, site_id=site.id, scopes=list(SCOPES), label="fuzz", now=utcnow())
        s.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4
    for operation in operations:

        @settings(max_examples=500 if LONG else 15, deadline=None, derandomize=not LONG, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy().map(at_chaumont))
        def one(case):
            before = table_counts(db)
            response = case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)
            if response.status_code >= 400:
                assert table_counts(db) == before  # a refusal stores nothing

        one()
