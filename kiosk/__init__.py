"""The kiosk screen (rotating QR) and the visitor's check-in and ticket pages."""
from flask import Flask
from flask_socketio import SocketIO

from kiosk.views import bp


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    app.config.setdefault("SCREEN_URLS", []).append(("Borne (QR)", "/kiosk/{site}"))
