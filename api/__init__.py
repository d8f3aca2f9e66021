"""The JSON API for integrations (/api/v1), described by its own OpenAPI document."""
from flask import Flask
from flask_socketio import SocketIO

from api.views import bp
from web.security import csrf


def init_app(app: Flask, socketio: SocketIO) -> None:
    csrf.exempt(bp)  # token authentication, no cookies: CSRF does not apply
    app.register_blueprint(bp)
