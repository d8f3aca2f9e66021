"""Run the Alembic migrations (under migrations/ at the project's root)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from accueil.db import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(db: Database) -> Config:
    """Return the Alembic configuration that migrates *db*."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = db.engine
    return cfg


def upgrade(db: Database, revision: str = "heads") -> None:
    """Bring *db* to *revision* (every branch's latest by default)."""
    command.upgrade(alembic_config(db), revision)
