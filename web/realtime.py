"""Live updates: who may hold a socket, a snapshot on every (re)connect or request, then the dispatcher's updates.

Socket.IO delivers at most once and python-socketio cannot replay what a client missed,
so nothing may depend on a client having seen every update: each carries the site's
version, and a client that sees a gap asks for a new snapshot (static/live.js).

Admission, in layers, so that an open socket is only ever held by someone who belongs:

- Engine.IO (the transport): at most ``sockets_per_address`` connections per client address
  (the address after ``web.proxy``: the visitor's, not nginx's), and a connection that has
  not joined a namespace within ``JOIN_WITHIN`` seconds is closed.
- Socket.IO: the default namespace accepts no one; each live namespace admits only what it
  serves (an active ticket's link, an enrolled display, a signed-in agent of the site), and
  at most ``PER_PARTY`` sockets per ticket, device or agent on a process.
- Each connection may ask for a snapshot at most ``SNAPSHOT_BURST`` times in a row, then one
  every ``SNAPSHOT_EVERY`` seconds; a ticket likewise across its connections.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app, request, session
from flask_socketio import Namespace, SocketIO, join_room

log = logging.getLogger(__name__)

JOIN_WITHIN = 10.0
"""Seconds a transport connection may stay open without joining a namespace."""
PER_PARTY = 5
"""Sockets one ticket, device or agent may hold at once on a process (tabs, a reconnect overlapping)."""
SNAPSHOT_BURST = 5
SNAPSHOT_EVERY = 3.0
"""Seconds: the steady rate of snapshots a connection (or a ticket) may ask for."""
DEFAULT_SOCKETS_PER_ADDRESS = 500
MALFORMED_LIMIT = 3
"""Malformed packets after which a connection is closed."""


@dataclass
class Client:
    """One live connection on this process."""

    sid: str
    site_id: int
    party: str
    """The room of the party behind it: ``ticket:<link>``, ``device:<id>``, ``user:<id>``."""
    info: dict = field(default_factory=dict)
    """What the audience needs to build its payloads (an agent's id and language…)."""


class Bucket:
    """A token bucket: *burst* at once, then one every *every* seconds."""

    def __init__(self, burst: int, every: float) -> None:
        self.burst, self.every = burst, every
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) / self.every)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass(frozen=True)
class Admission:
    """What a namespace grants a connecting client."""

    site_id: int
    room: str
    """The room of its updates (a site, or one ticket)."""
    party: str
    info: dict = field(default_factory=dict)


class LiveNamespace(Namespace):
    """A namespace whose clients are admitted, get a snapshot, then the dispatcher's updates.

    Subclasses say whom they admit (``admit``), what a snapshot is, and, as the dispatcher's
    audience, what a batch of events becomes for their clients (``deliver``).
    """

    per_party = PER_PARTY
    order = 1

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.clients: dict[str, Client] = {}
        self._by_site: dict[int, set[str]] = {}
        self._lock = threading.Lock()
        self._buckets: dict[str, Bucket] = {}
        self.dispatcher = None

    # --- what subclasses say ----------------------------------------------------------------

    def admit(self, auth: dict) -> Admission | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def snapshot(self, client: Client) -> dict | None:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- the audience's index of its clients on this process ----------------------------------

    def has_clients(self, site_id: int) -> bool:
        return bool(self._by_site.get(site_id))

    def clients_of(self, site_id: int) -> list[Client]:
        with self._lock:
            return [self.clients[sid] for sid in self._by_site.get(site_id, ()) if sid in self.clients]

    def party_sids(self, party: str) -> list[str]:
        with self._lock:
            return [c.sid for c in self.clients.values() if c.party == party]

    def _add(self, client: Client) -> None:
        with self._lock:
            self.clients[client.sid] = client
            self._by_site.setdefault(client.site_id, set()).add(client.sid)

    def _remove(self, sid: str) -> None:
        with self._lock:
            client = self.clients.pop(sid, None)
            self._buckets.pop(sid, None)
            if client is not None:
                sids = self._by_site.get(client.site_id)
                if sids is not None:
                    sids.discard(sid)
                    if not sids:
                        del self._by_site[client.site_id]
        if client is not None:
            self.left(client)

    def left(self, client: Client) -> None:
        """A client of this process went away (subclasses forget what they kept for it)."""

    # --- Socket.IO handlers ----------------------------------------------------------------

    def on_connect(self, auth=None):
        admission = self.admit(auth if isinstance(auth, dict) else {})
        if admission is None:
            refuse(self, "unauthorized")
        if len(self.party_sids(admission.party)) >= self.per_party:
            refuse(self, "too_many")
        client = Client(request.sid, admission.site_id, admission.party, dict(admission.info))
        session["live_room"] = admission.room  # per-connection copy of the session (manage_session)
        join_room(admission.room)
        join_room(admission.party)
        self._add(client)
        if self.dispatcher is not None:
            self.dispatcher.listen()  # with Redis: this process now needs every process's events
        snapshot = self.snapshot(client)
        if snapshot is not None:
            # To this client only: Namespace.emit without a room broadcasts to the whole namespace.
            self.emit("snapshot", snapshot, room=request.sid)

    def on_disconnect(self, reason=None):
        self._remove(request.sid)

    def on_snapshot(self, _data=None):
        """Answer a client that saw a gap (or checks it is still live) with a fresh snapshot, if not too often."""
        client = self.clients.get(request.sid)
        if client is None or not self._allowed(request.sid) or not self._allowed(client.party):
            return None
        return self.snapshot(client)

    def _allowed(self, key: str) -> bool:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = Bucket(SNAPSHOT_BURST, SNAPSHOT_EVERY)
                if len(self._buckets) > 50_000:  # bounded: forget the oldest parties
                    for stale in list(self._buckets)[:10_000]:
                        del self._buckets[stale]
        return bucket.take()

    # --- sending ---------------------------------------------------------------------------

    def send_to(self, sid_or_room: str | list[str], name: str, payload: dict) -> None:
        """Send to clients of this process only (every process gets the events and serves its own).

        A list of sids or rooms gets the payload encoded once for all.
        """
        self.socketio.emit(name, payload, namespace=self.namespace, to=sid_or_room, ignore_queue=True)

    def close(self, sid: str) -> None:
        """Close one client's socket on this process, and its transport if nothing else uses it."""
        server = self.socketio.server
        eio_sid = server.manager.eio_sid_from_sid(sid, self.namespace)
        server.disconnect(sid, namespace=self.namespace, ignore_queue=True)
        self._remove(sid)
        if eio_sid is not None and not any(
                server.manager.sid_from_eio_sid(eio_sid, ns) for ns in list(server.manager.get_namespaces())):
            close_transport(server, eio_sid)

    def cut_party(self, party: str, name: str | None = None) -> None:
        """Close every socket of *party* on this process (telling it *name* first, if given)."""
        for sid in self.party_sids(party):
            if name:
                self.send_to(sid, name, {})
            self.close(sid)

    def deliver(self, batch, state) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def deliver_rest(self, batch, state) -> None:
        """What can wait until every audience had the urgent part (nothing, for most)."""

    def cut(self, event) -> None:
        """Most audiences have no party that ends this way."""


def close_transport(server, eio_sid: str) -> bool:
    """Close an Engine.IO connection without waiting for what is queued on it; False if it was gone.

    ``engineio.Server.disconnect`` waits until the connection's writer has sent its queue; when
    the client closed first (a python-socketio client closes its transport as soon as its last
    namespace is closed), the writer has ended and that wait never returns: the dispatcher,
    which closes the sockets of a logout, then hung with every screen of the process.
    """
    socket = server.eio.sockets.get(eio_sid)
    if socket is None:
        return False
    try:
        socket.close(wait=False, reason=server.eio.reason.SERVER_DISCONNECT)
    except Exception:  # closed meanwhile
        pass
    server.eio.sockets.pop(eio_sid, None)
    return True


def refuse(namespace: Namespace, reason: str):
    """Refuse a connecting client, and close its transport right after unless it holds another namespace."""
    eio_sid = namespace.socketio.server.manager.eio_sid_from_sid(request.sid, namespace.namespace)
    gate = current_app.extensions.get("accueil.gate")
    if gate is not None and eio_sid is not None:
        gate.close_soon(eio_sid)
    raise ConnectionRefusedError(reason)


class NobodyNamespace(Namespace):
    """The default namespace: nothing is served there, so nobody connects."""

    def on_connect(self, auth=None):
        refuse(self, "unauthorized")


class TransportGate:
    """Engine.IO admission: a cap of connections per client address, and no transport left idle."""

    def __init__(self, socketio: SocketIO, per_address: int, join_within: float = JOIN_WITHIN) -> None:
        self.socketio = socketio
        self.per_address = per_address
        self.join_within = join_within
        self._by_address: dict[str, int] = {}
        self._address_of: dict[str, str] = {}
        self._opened: dict[str, float] = {}
        self._lock = threading.Lock()
        self._sweeping = False
        self.refused = 0
        self._malformed: dict[str, int] = {}
        eio = socketio.server.eio
        self._on_connect = eio.handlers["connect"]
        self._on_disconnect = eio.handlers["disconnect"]
        self._on_message = eio.handlers["message"]
        eio.on("connect", self.connect)
        eio.on("disconnect", self.disconnect)
        eio.on("message", self.message)

    def connect(self, eio_sid: str, environ: dict):
        address = environ.get("REMOTE_ADDR") or "?"
        with self._lock:
            if self._by_address.get(address, 0) >= self.per_address:
                self.refused += 1
                if self.refused % 1000 == 1:
                    log.warning("live connections refused: %s already holds %s", address, self.per_address)
                return False
            self._by_address[address] = self._by_address.get(address, 0) + 1
            self._address_of[eio_sid] = address
            self._opened[eio_sid] = time.monotonic()
            start = not self._sweeping
            self._sweeping = True
        if start:
            self.socketio.start_background_task(self._sweep)
        return self._on_connect(eio_sid, environ)

    def disconnect(self, eio_sid: str, reason=None):
        self._forget(eio_sid)
        return self._on_disconnect(eio_sid, reason)

    def message(self, eio_sid: str, data):
        """Pass a packet on; a malformed one is a warning (once per connection), three close the connection."""
        try:
            return self._on_message(eio_sid, data)
        except Exception as err:  # a client sending garbage, not a fault of ours: no traceback per packet
            with self._lock:
                if eio_sid not in self._address_of:
                    return None  # closed already: what it still sent is dropped silently
                count = self._malformed[eio_sid] = self._malformed.get(eio_sid, 0) + 1
            if count == 1:
                log.warning("malformed Socket.IO packet from %s (%s); the next ones are not logged",
                            self._address_of.get(eio_sid, "?"), type(err).__name__)
            if count >= MALFORMED_LIMIT:
                close_transport(self.socketio.server, eio_sid)
            return None

    def _forget(self, eio_sid: str) -> None:
        with self._lock:
            self._malformed.pop(eio_sid, None)
            address = self._address_of.pop(eio_sid, None)
            self._opened.pop(eio_sid, None)
            if address is not None:
                left = self._by_address.get(address, 1) - 1
                if left > 0:
                    self._by_address[address] = left
                else:
                    self._by_address.pop(address, None)

    def open_count(self) -> int:
        return len(self._opened)

    def close_soon(self, eio_sid: str) -> None:
        """Close a refused client's transport once its refusal is sent, unless it joined another namespace."""
        self.socketio.start_background_task(self._close_if_idle, eio_sid)

    def _close_if_idle(self, eio_sid: str) -> None:
        self.socketio.sleep(0.2)
        server = self.socketio.server
        if any(server.manager.sid_from_eio_sid(eio_sid, ns) for ns in list(server.manager.get_namespaces())):
            return
        if not close_transport(server, eio_sid):
            self._forget(eio_sid)

    def _sweep(self) -> None:
        """Close transports that never joined a namespace (they would hold a socket for nothing)."""
        server = self.socketio.server
        while True:
            self.socketio.sleep(self.join_within / 4)
            limit = time.monotonic() - self.join_within
            with self._lock:
                if not self._opened:
                    self._sweeping = False  # the next connection starts it again
                    return
                old = [sid for sid, opened in self._opened.items() if opened < limit]
            namespaces = list(server.manager.get_namespaces())
            for eio_sid in old:
                if any(server.manager.sid_from_eio_sid(eio_sid, ns) for ns in namespaces):
                    with self._lock:
                        self._opened[eio_sid] = float("inf")  # joined: never swept again
                    continue
                if not close_transport(server, eio_sid):  # closing calls disconnect() above
                    self._forget(eio_sid)


class TransportErrors:
    """WSGI middleware: a transport request the Engine.IO layer cannot parse is one warning, not a traceback."""

    def __init__(self, wsgi_app, path: str = "/socket.io") -> None:
        self.wsgi_app = wsgi_app
        self.path = path
        self.warned = 0

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(self.path):
            return self.wsgi_app(environ, start_response)
        try:
            return self.wsgi_app(environ, start_response)
        except (StopIteration, OSError):
            # How the websocket layer tells the server a connection it took over has ended
            # (StopIteration under gunicorn, ConnectionError under werkzeug): not an error.
            raise
        except Exception as err:
            self.warned += 1
            if self.warned % 1000 == 1:
                log.warning("unreadable Socket.IO transport request from %s (%s), %s so far",
                            environ.get("REMOTE_ADDR", "?"), type(err).__name__, self.warned)
            return self._empty(start_response, "400 Bad Request")

    @staticmethod
    def _empty(start_response, status: str):
        try:
            start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "0")])
        except Exception:  # the response had started (a websocket): just end it
            pass
        return []


def init_app(app: Flask, socketio: SocketIO) -> TransportGate:
    """Refuse the default namespace and guard the transport."""
    socketio.on_namespace(NobodyNamespace("/"))
    per_address = int(app.config.get("SOCKETS_PER_ADDRESS") or DEFAULT_SOCKETS_PER_ADDRESS)
    gate = TransportGate(socketio, per_address, float(app.config.get("LIVE_JOIN_WITHIN") or JOIN_WITHIN))
    app.extensions["accueil.gate"] = gate
    app.wsgi_app = TransportErrors(app.wsgi_app)
    return gate
