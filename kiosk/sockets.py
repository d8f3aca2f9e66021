"""The visitor's live ticket page: one room per ticket, keyed by the ticket's secret link.

On connect (and on the client's request) a room gets its ticket's public status with
the site's version. After every committed event of a site, each ticket room of that
site gets its recomputed status (position, estimate, « C'est votre tour ») carrying
the event's version, so that every phone sees contiguous versions and resyncs on gaps.

Each process computes only the rooms with a phone connected to it. With REDIS_URL (several
processes) the event itself crosses Redis once, on its own channel, and every process updates
its own phones: one message per event, not one per ticket of the site.
"""
from __future__ import annotations

import json
import logging
import threading
import time

from flask import Flask
from flask_socketio import SocketIO
from sqlmodel import col, select

from accueil.clock import utcnow
from accueil.events import TicketEvent
from accueil.models import Site, Ticket
from accueil.waiting import public_status, statuses, ticket_by_public_id
from web.context import database
from web.realtime import LiveNamespace

NAMESPACE = "/ticket"
PREFIX = "ticket:"
log = logging.getLogger(__name__)


class TicketNamespace(LiveNamespace):
    """Phones showing a ticket page; auth = {"ticket": <the ticket's public id>}."""

    def __init__(self, namespace: str, shared: "SharedEvents | None" = None):
        super().__init__(namespace)
        self.shared = shared

    def authorize(self, auth: dict) -> str | None:
        with database().session() as s:
            ticket = ticket_by_public_id(s, auth.get("ticket"))
        if ticket is None:
            return None
        if self.shared is not None:
            self.shared.listen()  # this process now holds a phone: it needs the other processes' events
        return PREFIX + ticket.public_id

    def snapshot(self, room: str) -> dict:
        with database().session() as s:
            ticket = ticket_by_public_id(s, room[len(PREFIX):])
            if ticket is None:  # erased since: the page reloads and says so
                return {"v": 0, "status": "gone"}
            return public_status(s, ticket)


def _local_ticket_rooms(socketio: SocketIO) -> set[str]:
    rooms = socketio.server.manager.rooms.get(NAMESPACE, {})
    return {room[len(PREFIX):] for room in list(rooms) if isinstance(room, str) and room.startswith(PREFIX)}


def updater(app: Flask, socketio: SocketIO):
    """Return the function that sends each ticket room of this process its new status after an event."""
    db = app.extensions["accueil.db"]

    def update(site_id: int, version: int, kind: str, public_id: str) -> None:
        targets = _local_ticket_rooms(socketio)
        if not targets:
            return
        with db.session() as s:
            site = s.get(Site, site_id)
            tickets = list(s.exec(select(Ticket).where(Ticket.site_id == site_id,
                                                        col(Ticket.public_id).in_(targets))).all())
            payloads = statuses(s, site, tickets)
        for room_id, payload in payloads.items():
            payload["v"] = version
            payload["kind"] = kind if room_id == public_id else "update"
            socketio.emit("event", payload, namespace=NAMESPACE, to=PREFIX + room_id, ignore_queue=True)

    return update


class SharedEvents:
    """Ticket events between processes: one Redis message per event, each process updates its own phones.

    The listener starts with the first phone this process holds (a CLI process never listens).
    """

    def __init__(self, url: str, channel: str, update, socketio: SocketIO):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.channel = f"{channel}:tickets"
        self.update = update
        self.socketio = socketio
        self._started = False
        self._lock = threading.Lock()

    def publish(self, event: TicketEvent) -> None:
        message = {"site": event.site_id, "v": event.version, "kind": event.kind, "ticket": event.public_id}
        self.redis.publish(self.channel, json.dumps(message))

    def listen(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        self.socketio.start_background_task(self._listen)

    def _listen(self) -> None:
        while True:
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                for message in pubsub.listen():
                    data = json.loads(message["data"])
                    self.update(data["site"], data["v"], data["kind"], data["ticket"])
            except Exception:  # Redis restarted, or a bad message: the phones resync from their snapshots
                log.exception("ticket events from Redis interrupted; listening again")
                time.sleep(1)


def init_app(app: Flask, socketio: SocketIO) -> TicketNamespace:
    """Register the /ticket namespace and what sends it each committed event (through Redis if shared)."""
    update = updater(app, socketio)
    shared = None
    if app.config.get("REDIS_URL"):
        shared = SharedEvents(app.config["REDIS_URL"], "accueil", update, socketio)
        app.extensions["accueil.db"].bus.subscribe(shared.publish)
    else:
        app.extensions["accueil.db"].bus.subscribe(
            lambda event: update(event.site_id, event.version, event.kind, event.public_id))
    namespace = TicketNamespace(NAMESPACE, shared)
    socketio.on_namespace(namespace)
    return namespace
