"""Live updates: a snapshot on every (re)connect or on request, then versioned events.

Socket.IO delivers at most once and python-socketio cannot replay what a client missed,
so nothing may depend on a client having seen every event: each event carries the
site's version, and a client that sees a gap asks for a new snapshot (static/live.js).
"""
from __future__ import annotations

from flask import request, session
from flask_socketio import Namespace, join_room


class LiveNamespace(Namespace):
    """A namespace whose clients join one room and get its snapshot, then its events.

    Subclasses say which room a connecting client may join (None refuses it) and what
    the room's snapshot is; the snapshot must carry the site's version as ``v``.
    """

    def authorize(self, auth: dict) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def snapshot(self, room: str) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def on_connect(self, auth=None):
        room = self.authorize(auth if isinstance(auth, dict) else {})
        if room is None:
            raise ConnectionRefusedError("unauthorized")
        session["live_room"] = room  # per-connection copy of the session (manage_session)
        join_room(room)
        # To this client only: Namespace.emit without a room broadcasts to the whole namespace.
        self.emit("snapshot", self.snapshot(room), room=request.sid)

    def on_snapshot(self, _data=None):
        """Answer a client that saw a gap (or checks it is still live) with a fresh snapshot."""
        room = session.get("live_room")
        return self.snapshot(room) if room else None
