"""The kiosk screen (rotating QR) and the visitor's check-in and ticket pages."""
from flask import Flask
from flask_socketio import SocketIO

from kiosk.sockets import NAMESPACE, TicketNamespace, publisher
from kiosk.views import bp


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    socketio.on_namespace(TicketNamespace(NAMESPACE))
    app.extensions["accueil.db"].bus.subscribe(publisher(app, socketio))
    urls = app.config.setdefault("SCREEN_URLS", [])
    urls.append(("Borne (QR)", "/kiosk/{site}"))
