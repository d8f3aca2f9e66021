"""The kiosk screen (rotating QR) and the visitor's check-in and ticket pages."""
from flask import Flask
from flask_socketio import SocketIO

from kiosk import documents, sockets  # noqa: F401 (documents: its routes, on the kiosk's blueprint)
from kiosk.views import bp


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    sockets.init_app(app, socketio)
    urls = app.config.setdefault("SCREEN_URLS", [])
    urls.append(("Borne (QR)", "/kiosk/{site}"))
