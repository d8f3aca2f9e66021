"""The agents' console: login, queues, calling, assisted registration, supervision."""
from flask import Flask
from flask_socketio import SocketIO

from agent_console.views import bp


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
