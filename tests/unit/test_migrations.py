"""The migrations build exactly the schema the models describe, on each engine."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel

from accueil.db import Database
from accueil.migrate import upgrade

_DESCENDING = {index.name: index for table in SQLModel.metadata.tables.values() for index in table.indexes
               if any("DESC" in str(e) for e in index.expressions)}


def _words(sql: str) -> list[str]:
    return sql.replace("(", " ( ").replace(")", " ) ").replace(",", " , ").split()


def test_descending_indexes_are_found():
    """The call's indexes hold a descending column (their comparison on SQLite depends on finding them)."""
    assert {"ix_ticket_next_priority_first", "ix_ticket_next_time_first"} <= set(_DESCENDING)


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
            opts = {"compare_type": True}
            if engine_name == "sqlite":  # SQLite's reflection does not say DESC: those are compared as written below
                opts["include_object"] = lambda obj, name, kind, *_: name not in _DESCENDING
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), SQLModel.metadata)
            if engine_name == "sqlite":
                written = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all())
            if engine_name == "postgresql":
                indexes = {row[0]: row[1] for row in conn.exec_driver_sql(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ticket'")}
        assert diff == []
        if engine_name == "sqlite":
            for name, index in _DESCENDING.items():
                assert _words(written[name]) == _words(str(CreateIndex(index).compile(dialect=sqlite.dialect())))
        if engine_name == "postgresql":
            assert "WHERE" in indexes["uq_ticket_active_nir"] and "UNIQUE" in indexes["uq_ticket_active_nir"]
    finally:
        db.dispose()
        if engine_name == "postgresql":
            request.getfixturevalue("postgres").drop_database(url)
