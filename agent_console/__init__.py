"""The agents' console: login, queues, calling, assisted registration, supervision."""
from flask import Flask
from flask_socketio import SocketIO

from agent_console import appointments, auth, checklists, configuration, sockets, supervision
from agent_console.views import bp
from web.i18n import staff_only


def init_app(app: Flask, socketio: SocketIO) -> None:
    auth.init_app(app)
    app.register_blueprint(staff_only(bp))
    app.register_blueprint(staff_only(supervision.bp))
    app.register_blueprint(staff_only(appointments.bp))
    app.register_blueprint(staff_only(configuration.bp))
    app.register_blueprint(staff_only(checklists.bp))
    sockets.init_app(app, socketio)
    app.config.setdefault("SCREEN_URLS", []).append(("Console agents", "/agent/"))
