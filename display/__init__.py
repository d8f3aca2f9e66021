"""The waiting-room screen."""
from flask import Flask
from flask_socketio import SocketIO

from display.views import bp


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    app.config.setdefault("SCREEN_URLS", []).append(("Salle d'attente", "/display/{site}"))
