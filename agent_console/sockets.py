"""The /agent namespace: signed-in agents only, one room per site and one per agent.

Snapshots carry the console's lists already rendered (same templates as the page), so
the browser only swaps regions. Events carry the site's version and no personal data;
the console answers each one by asking for a fresh snapshot.
"""
from __future__ import annotations

from flask import Flask, render_template, session
from flask_login import current_user
from flask_socketio import SocketIO, join_room

from accueil.clock import utcnow
from accueil.console import view
from accueil.events import SiteChanged, TicketEvent
from agent_console import auth
from web.context import database, vault
from web.realtime import LiveNamespace

NAMESPACE = "/agent"


def site_room(site_id: int) -> str:
    return f"site:{site_id}"


def user_room(agent_id: int) -> str:
    return f"user:{agent_id}"


def render_regions(console) -> dict[str, str]:
    """The live parts of the console page, rendered for the current agent."""
    return {
        "hand": render_template("agent_console/_hand.html", c=console),
        "queues": render_template("agent_console/_queues.html", c=console),
        "desks": render_template("agent_console/_desks.html", c=console),
    }


def console_snapshot() -> dict:
    with database().session() as s:
        console = view(s, vault(), site_id=current_user.site_id, agent_id=current_user.id, now=utcnow())
    return {
        "v": console.version,
        "regions": render_regions(console),
        "desk": console.desk.id if console.desk else None,
        "paused": bool(console.desk and console.desk.paused_at),
        "in_hand": [t.code for t in console.in_hand],
    }


class AgentNamespace(LiveNamespace):
    def authorize(self, auth_data: dict) -> str | None:
        if not current_user.is_authenticated or auth.expired(session):
            return None
        return site_room(current_user.site_id)

    def on_connect(self, auth=None):
        super().on_connect(auth)
        join_room(user_room(current_user.id))

    def snapshot(self, room: str) -> dict:
        if not current_user.is_authenticated or room != site_room(current_user.site_id):
            return {}
        return console_snapshot()


def event_payload(event: TicketEvent) -> dict:
    """What agents' consoles receive of an event: no visitor secret, no personal data."""
    return {"v": event.version, "kind": event.kind, "ticket": event.ticket_id, "code": event.code,
            "status": event.status, "queue": event.queue_id, "desk": event.desk_id}


def init_app(app: Flask, socketio: SocketIO) -> None:
    socketio.on_namespace(AgentNamespace(NAMESPACE))

    def forward(event: TicketEvent) -> None:
        socketio.emit("event", event_payload(event), namespace=NAMESPACE, to=site_room(event.site_id))

    def reconfigured(event: SiteChanged) -> None:
        """The site's configuration changed: every console of the site resyncs."""
        socketio.emit("refresh", {"v": event.version}, namespace=NAMESPACE, to=site_room(event.site_id))

    app.extensions["accueil.db"].bus.subscribe(forward)
    app.extensions["accueil.db"].bus.subscribe(reconfigured, of=SiteChanged)


def refresh_site(site_id: int) -> None:
    """Desks changed (not a ticket event, so no version): every console of the site resyncs."""
    _socketio().emit("refresh", {}, namespace=NAMESPACE, to=site_room(site_id))


def tell_agent(agent_id: int, name: str, payload: dict) -> None:
    _socketio().emit(name, payload, namespace=NAMESPACE, to=user_room(agent_id))


def disconnect_agent(agent_id: int) -> None:
    """Close the agent's open consoles (logout): tell them, and cut the sockets of this process."""
    socketio = _socketio()
    socketio.emit("logout", {}, namespace=NAMESPACE, to=user_room(agent_id))
    server = socketio.server
    for sid, _eio_sid in list(server.manager.get_participants(NAMESPACE, user_room(agent_id))):
        server.disconnect(sid, namespace=NAMESPACE)


def _socketio() -> SocketIO:
    from flask import current_app

    return current_app.extensions["accueil.socketio"]
