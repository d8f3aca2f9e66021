"""Engines and sessions for SQLite (embedded default) and PostgreSQL (scale-out)."""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import nullcontext

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session, SQLModel

from accueil import models  # noqa: F401  (registers the tables)
from accueil.events import EventBus, bind

LOCK_WAIT = 30.0
"""Seconds a writer waits for SQLite's lock (held by another process) before giving up."""


def refusable(session: Session):
    """Guard a statement the database may refuse (a unique key taken), so the transaction goes on.

    PostgreSQL aborts the whole transaction on an error unless it came inside a savepoint;
    SQLite undoes only the statement, so no savepoint is spent there.
    """
    return session.begin_nested() if session.connection().dialect.name == "postgresql" else nullcontext()


def cooperative() -> bool:
    """True in a process gevent has patched (the server's worker): waits must then let other greenlets run."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("socket")


def _sqlite_engine(url: str, echo: bool, coop: bool, begin: str = "DEFERRED") -> Engine:
    """An engine whose transactions start with BEGIN *begin* (DEFERRED for reads, IMMEDIATE for writes)."""
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": 0 if coop else LOCK_WAIT, "check_same_thread": False},
        pool_size=20,
        max_overflow=40,
    )
    # Threads wait for SQLite's lock inside SQLite (busy_timeout). Under gevent that wait
    # would freeze every greenlet of the process, sockets included: there SQLite never
    # waits (busy_timeout 0) and a busy BEGIN is retried after a cooperative sleep.
    # Writers of one process already take turns (Database.write_session), so the lock is
    # only ever busy because of another process (a command, a second server).
    busy_ms = 0 if coop else int(LOCK_WAIT * 1000)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        # Let the dialect emit BEGIN itself (do_begin below; pysqlite's legacy mode would not).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", f"busy_timeout={busy_ms}", "synchronous=NORMAL", "foreign_keys=ON"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    # BEGIN is emitted by the dialect, not by a "begin" event listener: any connection
    # event makes SQLAlchemy dispatch events around every statement, a cost on each one.
    # Writers take the lock up front: a deferred transaction that reads then writes fails
    # at once with SQLITE_BUSY under WAL instead of waiting its turn.
    statement = f"BEGIN {begin}"

    def do_begin(dbapi_conn):
        if not coop:
            dbapi_conn.execute(statement)
            return
        deadline, pause = time.monotonic() + LOCK_WAIT, 0.001
        while True:
            try:
                dbapi_conn.execute(statement)
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)  # gevent's sleep in a patched process: other greenlets run
            pause = min(pause * 2, 0.05)

    engine.dialect.do_begin = do_begin
    return engine


def make_engine(url: str, echo: bool = False, begin: str = "DEFERRED") -> Engine:
    """Create the engine for *url* with the settings each engine needs (*begin*: SQLite's BEGIN mode)."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            path = os.path.abspath(url[len("sqlite:///"):])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            # The file holds encrypted personal data and the hashes of agents' passwords: only the
            # server's user may read it (SQLite gives its -wal and -shm files the same mode).
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass
        return _sqlite_engine(url, echo, cooperative(), begin)
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
        # The hot paths build model objects from Core rows (model_construct), whose attributes only work
        # once the mappers are configured: SQLAlchemy does that at the first ORM query, which in a fresh
        # process may come after the first check-in (seen: a 500 per request after a restart).
        configure_mappers()
        self.engine = make_engine(url, echo=echo)
        self.bus = bus or EventBus()
        # On SQLite, writers get an engine of their own whose transactions take the lock first.
        self._write_engine = make_engine(url, echo=echo, begin="IMMEDIATE") if self.dialect == "sqlite" else self.engine
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
        self._write_engine.dispose()
