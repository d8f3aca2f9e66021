"""A real server in this process (werkzeug, threads, real Socket.IO) on a fresh database.

Browser and socket tests act through the core in the test process and see the effect
live, because the server and the core share this process's event bus.
"""
from __future__ import annotations

import socket
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from accueil.clock import utcnow
from accueil.db import Database
from accueil.demo import load_demo
from accueil.identity import Vault
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


def demo_app(instance: Path, **config):
    """Create the app on *instance* with *config*, its database migrated and loaded with the demo data."""
    from app import create_app

    app = create_app({"INSTANCE_PATH": str(instance), **config})
    db = app.extensions["accueil.db"]
    upgrade(db)
    with db.write_session() as s:
        load_demo(s, app.extensions["accueil.vault"], now=utcnow())
        s.commit()
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
    live._thread = threading.Thread(target=server.serve_forever, daemon=True)
    live._thread.start()
    return live
