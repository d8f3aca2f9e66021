"""Engines and sessions for SQLite (embedded default) and PostgreSQL (scale-out)."""
from __future__ import annotations

import os
import threading

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from accueil import models  # noqa: F401  (registers the tables)
from accueil.events import EventBus, bind


def _sqlite_engine(url: str, echo: bool) -> Engine:
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": 30, "check_same_thread": False},
        pool_size=20,
        max_overflow=40,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" hook emit BEGIN itself (pysqlite's legacy mode would not).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "synchronous=NORMAL", "foreign_keys=ON"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Writers take the lock up front: a deferred transaction that reads then writes
        # fails at once with SQLITE_BUSY under WAL instead of waiting its turn.
        conn.exec_driver_sql("BEGIN " + conn.get_execution_options().get("sqlite_begin", "DEFERRED"))

    return engine


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create the engine for *url* with the settings each engine needs."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            os.makedirs(os.path.dirname(os.path.abspath(url[len("sqlite:///"):])), exist_ok=True)
        return _sqlite_engine(url, echo)
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=20, max_overflow=40)


class _TurnSession(Session):
    """A write session that waits for this process's turn before touching SQLite.

    SQLite has one writer at a time, and a writer that finds the lock taken sleeps with a
    growing back-off (up to 100 ms a try): under a rush, who gets in is luck and the slow
    ones wait seconds. Queueing the process's writers on a lock first keeps the wait short
    and fair. Reentrant: an event subscriber may write from inside a commit.
    """

    def __init__(self, *args, turn: threading.RLock, **kw) -> None:
        super().__init__(*args, **kw)
        self._turn = turn

    def __enter__(self):
        self._turn.acquire()
        return super().__enter__()

    def __exit__(self, *exc):
        try:
            return super().__exit__(*exc)
        finally:
            self._turn.release()


class Database:
    """One engine per process, and the event bus its sessions publish to."""

    def __init__(self, url: str, bus: EventBus | None = None, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.bus = bus or EventBus()
        self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        # PostgreSQL serialises writers on the rows they touch: no process-wide turn there.
        self._turn = threading.RLock() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        """Open a session for reads (concurrent under WAL)."""
        return bind(Session(self.engine, expire_on_commit=False), self.bus)

    def write_session(self) -> Session:
        """Open a session for a unit of work that writes (serialised on SQLite): use it in a `with`."""
        if self._turn is not None:
            return bind(_TurnSession(self._write_engine, expire_on_commit=False, turn=self._turn), self.bus)
        return bind(Session(self._write_engine, expire_on_commit=False), self.bus)

    def create_all(self) -> None:
        """Create the tables directly (tests); deployments use the migrations."""
        SQLModel.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
