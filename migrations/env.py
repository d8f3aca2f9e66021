"""Alembic environment: the engine comes from accueil.migrate (or alembic.ini's URL)."""
from alembic import context
from sqlmodel import SQLModel

from accueil import models  # noqa: F401  (registers the tables)
from accueil.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
