"""The visitor's live ticket page: one room per ticket, keyed by the ticket's secret link.

On connect (and on the client's request) a room gets its ticket's public status with
the site's version. After every committed event of a site, each ticket room of that
site gets its recomputed status (position, estimate, « C'est votre tour ») carrying
the event's version, so that every phone sees contiguous versions and resyncs on gaps.

One process (the default): only the rooms with a phone connected to this process are
computed. With REDIS_URL (several processes), phones may be connected elsewhere, so the
status of every ticket of the site still in progress is sent through the queue.
"""
from __future__ import annotations

import logging

from flask import Flask
from flask_socketio import SocketIO
from sqlmodel import col, select

from accueil.clock import utcnow
from accueil.events import TicketEvent
from accueil.models import Site, Ticket
from accueil.waiting import active_public_ids, public_status, statuses, ticket_by_public_id
from web.context import database
from web.realtime import LiveNamespace

NAMESPACE = "/ticket"
PREFIX = "ticket:"
log = logging.getLogger(__name__)


class TicketNamespace(LiveNamespace):
    """Phones showing a ticket page; auth = {"ticket": <the ticket's public id>}."""

    def authorize(self, auth: dict) -> str | None:
        with database().session() as s:
            ticket = ticket_by_public_id(s, auth.get("ticket"))
        return PREFIX + ticket.public_id if ticket is not None else None

    def snapshot(self, room: str) -> dict:
        with database().session() as s:
            ticket = ticket_by_public_id(s, room[len(PREFIX):])
            if ticket is None:  # erased since: the page reloads and says so
                return {"v": 0, "status": "gone"}
            return public_status(s, ticket)


def _local_ticket_rooms(socketio: SocketIO) -> set[str]:
    rooms = socketio.server.manager.rooms.get(NAMESPACE, {})
    return {room[len(PREFIX):] for room in list(rooms) if isinstance(room, str) and room.startswith(PREFIX)}


def publisher(app: Flask, socketio: SocketIO):
    """Return the bus subscriber that sends each ticket room of the event's site its new status."""
    db = app.extensions["accueil.db"]
    shared = bool(app.config.get("REDIS_URL"))

    def on_event(event: TicketEvent) -> None:
        with db.session() as s:
            if shared:
                targets = set(active_public_ids(s, event.site_id, now=utcnow())) | {event.public_id}
            else:
                targets = _local_ticket_rooms(socketio)
            if not targets:
                return
            site = s.get(Site, event.site_id)
            tickets = list(s.exec(select(Ticket).where(Ticket.site_id == event.site_id,
                                                        col(Ticket.public_id).in_(targets))).all())
            payloads = statuses(s, site, tickets)
        for public_id, payload in payloads.items():
            payload["v"] = event.version
            payload["kind"] = event.kind if public_id == event.public_id else "update"
            socketio.emit("event", payload, namespace=NAMESPACE, to=PREFIX + public_id)

    return on_event
