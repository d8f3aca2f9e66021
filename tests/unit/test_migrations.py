"""The migrations build exactly the schema the models describe, on each engine."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from accueil.db import Database
from accueil.migrate import upgrade


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
def test_migrations_match_the_models_and_are_rerunnable(tmp_path, request, engine_name):
    """On PostgreSQL too: its partial unique index (one active ticket per NIR) is compared there."""
    if engine_name == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    db = Database(url)
    try:
        upgrade(db)
        upgrade(db)  # a second run is a no-op
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
            if engine_name == "postgresql":
                indexes = {row[0]: row[1] for row in conn.exec_driver_sql(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ticket'")}
        assert diff == []
        if engine_name == "postgresql":
            assert "WHERE" in indexes["uq_ticket_active_nir"] and "UNIQUE" in indexes["uq_ticket_active_nir"]
    finally:
        db.dispose()
        if engine_name == "postgresql":
            request.getfixturevalue("postgres").drop_database(url)
