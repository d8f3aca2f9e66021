"""The /display namespace: one room per site, public-safe snapshots and events only."""
from __future__ import annotations

from flask import Flask, session
from flask_socketio import SocketIO, disconnect
from sqlmodel import select

from accueil import board, supervision
from accueil.clock import utcnow
from accueil.events import SiteChanged, TicketEvent
from accueil.models import Site
from web.context import database
from web.devices import current_device
from web.realtime import LiveNamespace

NAMESPACE = "/display"


def room_of(site_id: int) -> str:
    return f"site:{site_id}"


class DisplayNamespace(LiveNamespace):
    """Only an enrolled display of the site (its device cookie, sent with the connect request) joins."""

    def authorize(self, auth: dict) -> str | None:
        slug = auth.get("site")
        if not isinstance(slug, str):
            return None
        with database().session() as s:
            site = s.exec(select(Site).where(Site.slug == slug)).first()
        if site is None:
            return None
        device = current_device("display", site.id)
        if device is None:
            return None
        session["display_device"] = device.id
        return room_of(site.id)

    def snapshot(self, room: str) -> dict:
        site_id = int(room.split(":", 1)[1])
        with database().session() as s:
            return board.snapshot(s, site_id, now=utcnow())

    def on_snapshot(self, _data=None):
        """A fresh snapshot, while the device is still enrolled (a revoked screen goes dark).

        The screen asks one every 15 s (static/live.js): that is its heartbeat for the supervision page.
        """
        room = session.get("live_room")
        device = None if room is None else current_device("display", int(room.split(":", 1)[1]))
        if device is None:
            disconnect()
            return None
        supervision.beat(database(), device, now=utcnow())
        return self.snapshot(room)


def init_app(app: Flask, socketio: SocketIO) -> None:
    socketio.on_namespace(DisplayNamespace(NAMESPACE))
    db = app.extensions["accueil.db"]

    def forward(event: TicketEvent) -> None:
        """Send every committed event of a site, as a display-safe payload, to the site's screens."""
        with db.session() as s:
            payload = board.display_payload(s, event)
        socketio.emit("event", payload, namespace=NAMESPACE, to=room_of(event.site_id))

    def reconfigured(event: SiteChanged) -> None:
        """The site's queues, desks or name changed: its screens get a fresh snapshot (no announcement)."""
        with db.session() as s:
            snapshot = board.snapshot(s, event.site_id, now=utcnow())
        socketio.emit("snapshot", snapshot, namespace=NAMESPACE, to=room_of(event.site_id))

    db.bus.subscribe(forward)
    db.bus.subscribe(reconfigured, of=SiteChanged)
