"""A Flask app on a migrated database with the demo data, and its test client.

SQLite by default; tests marked ``both_engines`` run once more on a real PostgreSQL
(tests/conftest.py), and ACCUEIL_TEST_ENGINE=postgresql runs every one of them there.
"""
from __future__ import annotations

import pytest

from tests.live import demo_app


@pytest.fixture
def app(tmp_path, app_database):
    app = demo_app(tmp_path / "instance", RATELIMIT_ENABLED=False, TESTING=True, **app_database)
    yield app
    app.extensions["accueil.sender"].stop()
    app.extensions["accueil.db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()
