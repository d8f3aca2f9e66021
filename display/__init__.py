"""The waiting-room screen."""
from flask import Flask
from flask_socketio import SocketIO

from display import sockets
from display.views import bp
from web.i18n import staff_only


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(staff_only(bp))
    sockets.init_app(app, socketio)
    app.config.setdefault("SCREEN_URLS", []).append(("Salle d'attente", "/display/{site}"))
