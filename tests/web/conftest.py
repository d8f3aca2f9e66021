"""A Flask app on a migrated database with the demo data, and its test client.

SQLite by default; tests marked ``both_engines`` run once more on a real PostgreSQL
(tests/conftest.py), and ACCUEIL_TEST_ENGINE=postgresql runs every one of them there.
"""
from __future__ import annotations

import pytest

from accueil.clock import utcnow
from accueil.demo import load_demo
from accueil.migrate import upgrade


@pytest.fixture
def app(tmp_path, app_database):
    from app import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "RATELIMIT_ENABLED": False, "TESTING": True,
                      **app_database})
    db = app.extensions["accueil.db"]
    upgrade(db)
    with db.write_session() as s:
        load_demo(s, app.extensions["accueil.vault"], now=utcnow())
        s.commit()
    yield app
    db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()
