"""Composition root: the Flask app, Socket.IO, the event dispatcher and the sender (the `accueil` command: commands.py)."""
from __future__ import annotations

import importlib
import logging
import os
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app, jsonify, render_template
from flask_babel import Babel, get_locale
from flask_socketio import SocketIO
from sqlalchemy import text

from accueil.db import Database, cooperative
from accueil.events import AccessEnded, SiteChanged, TicketEvent
from accueil.identity import Vault, load_data_key, read_or_create_secret
from notify.push import WebPush, application_server_key, vapid_key
from notify.sender import Sender, sms_transport
from web import branding, devices, fairness, i18n, proxy, realtime, security, vendor
from web.dispatch import Dispatcher

ROOT = Path(__file__).resolve().parent
DEFAULT_INSTANCE = ROOT / "instance"

SURFACES = ("kiosk", "display", "agent_console")


def _settings(instance: Path) -> dict:
    env = os.environ
    return {
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{instance / 'accueil.db'}",
        "REDIS_URL": env.get("REDIS_URL") or None,
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL") or None,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "BABEL_TRANSLATION_DIRECTORIES": ";".join(
            str(ROOT / d / "translations") for d in ("", *SURFACES)
        ),
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session: no expiry mid-form
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") != "0",
        "TRUSTED_PROXIES": int(env.get("ACCUEIL_TRUSTED_PROXIES") or 0),
        "OFFICE_NETWORKS": env.get("ACCUEIL_OFFICE_NETWORKS") or "",
        "SOCKETS_PER_ADDRESS": int(env.get("ACCUEIL_SOCKETS_PER_ADDRESS") or 0) or None,
        "LIVE_JOIN_WITHIN": float(env.get("ACCUEIL_JOIN_WITHIN") or 0) or None,
        # Messages to visitors: sent by this process ("thread") or by `accueil notify run` ("off").
        "NOTIFY": env.get("ACCUEIL_NOTIFY") or "thread",
        "NOTIFY_MAX_AGE": int(env.get("ACCUEIL_NOTIFY_MAX_AGE") or 600),
        # The VAPID « sub »: how a push service reaches the operator of this deployment.
        "PUSH_CONTACT": env.get("ACCUEIL_PUSH_CONTACT") or "mailto:accueil@localhost",
    }


def _async_mode(app: Flask) -> str:
    """gevent in a process that gevent patched (the gunicorn worker), threads otherwise (tests, commands).

    An explicit ACCUEIL_ASYNC_MODE must agree with the process: gevent without the patch
    would block on every socket, threads under the patch would be greenlets anyway.
    """
    patched = cooperative()
    mode = app.config.get("ASYNC_MODE") or os.environ.get("ACCUEIL_ASYNC_MODE") or ("gevent" if patched else "threading")
    if mode not in ("threading", "gevent"):
        raise RuntimeError("ACCUEIL_ASYNC_MODE must be threading or gevent")
    if mode == "gevent" and not patched:
        raise RuntimeError("ACCUEIL_ASYNC_MODE=gevent needs gevent's worker (gunicorn -k gevent), which patches the "
                           "standard library first")
    return mode


def create_app(config: dict | None = None) -> Flask:
    """Build the application; *config* overrides the environment (tests)."""
    instance = Path((config or {}).get("INSTANCE_PATH") or os.environ.get("ACCUEIL_INSTANCE") or DEFAULT_INSTANCE)
    instance.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(instance), template_folder="templates", static_folder="static")
    app.config.update(_settings(instance))
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or read_or_create_secret(instance / "secret.key")

    db = Database(app.config["DATABASE_URL"])
    app.extensions["accueil.db"] = db
    app.extensions["accueil.vault"] = Vault(load_data_key(str(instance)))
    Babel(app, locale_selector=i18n.select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    i18n.init_app(app)
    security.init_app(app)
    vendor.init_app(app)
    app.register_blueprint(i18n.staff_only(devices.bp))
    branding.init_app(app)
    socketio = SocketIO(app, async_mode=_async_mode(app), message_queue=app.config["REDIS_URL"], channel="accueil",
                        logger=False, engineio_logger=False, max_http_buffer_size=app.config["MAX_CONTENT_LENGTH"])
    app.extensions["accueil.socketio"] = socketio
    dispatcher = Dispatcher(app, socketio, redis_url=app.config["REDIS_URL"], channel="accueil")
    app.extensions["accueil.dispatcher"] = dispatcher
    db.bus.subscribe(dispatcher.submit, of=(TicketEvent, SiteChanged, AccessEnded))
    realtime.init_app(app, socketio)
    vapid = vapid_key(str(instance), os.environ)
    app.extensions["accueil.push_key"] = application_server_key(vapid)
    push = WebPush(vapid, app.config["PUSH_CONTACT"], allowed_hosts=frozenset(app.config.get("PUSH_ALLOWED_HOSTS", ())),
                   verify=app.config.get("PUSH_CA_BUNDLE") or True)
    sender = Sender(app, db, app.extensions["accueil.vault"], sms_transport(app.config, os.environ), push=push,
                    max_age=timedelta(seconds=app.config["NOTIFY_MAX_AGE"]))
    app.extensions["accueil.sender"] = sender
    if app.config["NOTIFY"] == "thread" and not app.config.get("ACCUEIL_CLI"):
        db.bus.subscribe(sender.wake, of=(TicketEvent, SiteChanged))
        started = []

        @app.before_request
        def _start_sender():
            if not started:  # once per process: messages left pending by a restart go out
                started.append(True)
                sender.wake()
    for name in (*SURFACES, "api"):
        importlib.import_module(name).init_app(app, socketio)
    fairness.init_app(app)
    proxy.init_app(app)  # outermost: every layer below (Socket.IO included) sees the client's address

    @app.get("/")
    def home():
        from sqlmodel import select

        from accueil.models import Site

        with db.session() as s:
            sites = s.exec(select(Site).order_by(Site.name)).all()
        return render_template("home.html", sites=sites)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        try:
            with db.session() as s:
                s.execute(text("SELECT 1"))
            if app.config["REDIS_URL"]:
                import redis

                redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=2).ping()
        except Exception:  # the reason goes to the log, never to the caller
            current_app.logger.exception("database or message queue not reachable")
            return jsonify(status="unavailable"), 503
        return jsonify(status="ok")

    security.limiter.exempt(healthz)
    security.limiter.exempt(readyz)
    return app


logging.getLogger("werkzeug").setLevel(logging.WARNING)
