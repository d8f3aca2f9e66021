"""A real server in this process (werkzeug, threads, real Socket.IO) on a fresh database.

Browser and socket tests act through the core in the test process and see the effect
live, because the server and the core share this process's event bus.
"""
from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect
from werkzeug.serving import WSGIRequestHandler, make_server

from accueil.clock import utcnow
from accueil.db import Database
from accueil.demo import load_demo
from accueil.identity import KEY_FILE, Vault
from accueil.migrate import upgrade


@dataclass
class LiveServer:
    url: str
    app: object
    db: Database
    vault: Vault
    instance: Path
    _server: object = None
    _thread: threading.Thread | None = None
    _connections: weakref.WeakSet = field(default_factory=weakref.WeakSet)

    @property
    def port(self) -> int:
        return self._server.server_port

    def stop(self) -> None:
        self._server.shutdown()
        self._close_connections()  # a page left open would go on asking a database about to be dropped
        self._thread.join(10)
        self.app.extensions["accueil.dispatcher"].stop()
        self.app.extensions["accueil.sender"].stop()
        self.db.dispose()

    def _close_connections(self) -> None:
        for conn in list(self._connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def kill(self) -> None:
        """Stop as a dying process would: close the listening socket and every open connection."""
        self._server.shutdown()
        self._server.server_close()
        self._close_connections()
        self._thread.join(10)
        self.app.extensions["accueil.dispatcher"].stop()
        self.app.extensions["accueil.sender"].stop()
        self.db.dispose()


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, except that a connection ends with its WebSocket.

    Werkzeug would go on reading the socket for the next HTTP request once the WebSocket
    handler returns: frames still in flight from the client then read as a bad request,
    and the client never sees its connection close.
    """

    def run_wsgi(self):
        super().run_wsgi()
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.close_connection = True


# The demo's appointments are placed from the moment they are loaded: a template older than
# this is made again, so that "the next appointment" stays near the clock of every test.
TEMPLATE_LIFETIME = 300.0


class DemoTemplate:
    """A migrated database with the demo data and the key it was made with, made once per test run
    (again every TEMPLATE_LIFETIME seconds) and copied for each test: a file copy on SQLite, a
    CREATE DATABASE … TEMPLATE on PostgreSQL. Migrating and loading the demo each time cost about
    half a second a test."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="accueil-template-"))
        self.made_at: float | None = None
        self.pg_name: str | None = None
        self.pg_made_at: float | None = None  # the PostgreSQL copy belongs to the SQLite one made then

    @property
    def instance(self) -> Path:
        return self.root / "instance"

    def _ready(self) -> None:
        """Make the SQLite template (and its key) if there is none or it is too old."""
        if self.made_at is not None and time.monotonic() - self.made_at < TEMPLATE_LIFETIME:
            return
        shutil.rmtree(self.instance, ignore_errors=True)
        _load(self.instance, {})
        self.made_at = time.monotonic()

    def copy_to(self, instance: Path, *, key_only: bool = False) -> None:
        """Give *instance* the demo database (SQLite) and the key it was made with."""
        self._ready()
        instance.mkdir(parents=True, exist_ok=True)
        for name in (KEY_FILE,) if key_only else ("accueil.db", KEY_FILE):
            shutil.copyfile(self.instance / name, instance / name)

    def pg_database(self, postgres) -> str:
        """Return the URL of a new PostgreSQL database holding the demo, made with copy_to's key."""
        self._ready()
        if self.pg_made_at != self.made_at:
            if self.pg_name is not None:
                postgres.drop_database(postgres.url(self.pg_name))
            url = postgres.create_database()
            _load(self.instance, {"DATABASE_URL": url})  # the same instance: the same data key
            self.pg_name, self.pg_made_at = url.rsplit("/", 1)[1], self.made_at
        return postgres.create_database(template=self.pg_name)


def _migrate_and_fill(app) -> None:
    """Migrate the app's database and load the demo data into it."""
    db = app.extensions["accueil.db"]
    upgrade(db)
    with db.write_session() as s:
        load_demo(s, app.extensions["accueil.vault"], now=utcnow())
        s.commit()


def _load(instance: Path, config: dict) -> None:
    from app import create_app

    app = create_app({"INSTANCE_PATH": str(instance), "NOTIFY": "off", **config})
    try:
        _migrate_and_fill(app)
    finally:
        app.extensions["accueil.dispatcher"].stop()
        app.extensions["accueil.db"].dispose()


TEMPLATE = DemoTemplate()


def demo_app(instance: Path, **config):
    """Create the app on *instance* with *config*, its database migrated and loaded with the demo data.

    A new SQLite instance gets a copy of the run's template; a PostgreSQL database is expected
    to come from it already (tests/conftest.py's app_database). A database without the schema
    (another origin) is migrated and loaded here.
    """
    from app import create_app

    # The visitors' messages are sent only where a test is about them (NOTIFY="thread"): elsewhere
    # the sender's loop, started by the first event, would outlive its test's database.
    config.setdefault("NOTIFY", "off")
    if "DATABASE_URL" not in config and not (instance / "accueil.db").exists():
        TEMPLATE.copy_to(instance)
    elif not (instance / KEY_FILE).exists():
        TEMPLATE.copy_to(instance, key_only=True)
    app = create_app({"INSTANCE_PATH": str(instance), **config})
    if not inspect(app.extensions["accueil.db"].engine).has_table("alembic_version"):
        _migrate_and_fill(app)
    return app


def start_live_server(instance: Path, port: int = 0, **config) -> LiveServer:
    """Create the app on a migrated database with the demo data, and serve it on *port* (0: a free one).

    Started again on the same instance and port after kill(), it plays a server restart.
    """
    app = demo_app(instance, RATELIMIT_ENABLED=False, **config)
    db = app.extensions["accueil.db"]
    vault = app.extensions["accueil.vault"]
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_RequestHandler)
    live = LiveServer(f"http://127.0.0.1:{server.server_port}", app, db, vault, instance, server)
    accept = server.get_request

    def get_request():
        conn, addr = accept()
        live._connections.add(conn)
        return conn, addr

    server.get_request = get_request
    live._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    live._thread.start()
    return live
