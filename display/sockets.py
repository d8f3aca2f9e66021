"""The /display namespace: one room per site, public-safe snapshots and updates only (accueil.audiences)."""
from __future__ import annotations

from flask import Flask, request
from flask_socketio import SocketIO

from accueil.agents import site_by_slug
from accueil.audiences import display_snapshot, display_update
from accueil.clock import utcnow
from accueil.errors import NotFound
from accueil.events import AccessEnded, SiteChanged
from web.context import database
from web.devices import beat, current_device
from web.realtime import Admission, Client, LiveNamespace

NAMESPACE = "/display"


def room_of(site_id: int) -> str:
    return f"site:{site_id}"


def device_room(device_id: int) -> str:
    return f"device:{device_id}"


class DisplayNamespace(LiveNamespace):
    """Only an enrolled display of the site (its device cookie, sent with the connect request) joins."""

    per_party = 3
    order = 0  # the screen that announces the calls goes first

    def admit(self, auth: dict) -> Admission | None:
        try:
            with database().session() as s:
                site = site_by_slug(s, auth.get("site"))
        except NotFound:  # no such site, or not a slug at all
            return None
        device = current_device("display", site.id)
        if device is None:
            return None
        return Admission(site.id, room_of(site.id), device_room(device.id), {"device": device.id})

    def snapshot(self, client: Client) -> dict:
        with database().session() as s:
            state = self.dispatcher.cache.get(s, client.site_id, now=utcnow())
        return display_snapshot(state, now=utcnow())

    def on_snapshot(self, _data=None):
        """A fresh snapshot, while the device is still enrolled (a revoked screen goes dark).

        The screen asks one every 15 s (static/live.js): that is its heartbeat for the supervision page.
        """
        client = self.clients.get(request.sid)
        device = None if client is None else current_device("display", client.site_id)
        if device is None:
            if client is not None:
                self.close(client.sid)
            return None
        beat(device)
        return super().on_snapshot(_data)

    def deliver(self, batch, state) -> None:
        """One update per batch to the site's screens; a changed configuration brings a new snapshot too."""
        self.send_to(room_of(batch.site_id), "event", display_update(state, list(batch.events), since=batch.since))
        if batch.has(SiteChanged, kind="configured"):
            # Queues, desks or the site's name changed: the whole picture, nothing announced again.
            self.send_to(room_of(batch.site_id), "snapshot", display_snapshot(state, now=utcnow()))

    def cut(self, event: AccessEnded) -> None:
        if event.party == "device":
            self.cut_party(device_room(event.key))


def init_app(app: Flask, socketio: SocketIO) -> None:
    namespace = DisplayNamespace(NAMESPACE)
    socketio.on_namespace(namespace)
    app.extensions["accueil.dispatcher"].register(namespace)
