"""The client's real address behind the documented reverse proxy (nginx), and only there.

``ACCUEIL_TRUSTED_PROXIES`` says how many proxies stand in front of the app (0 by default:
the app faces the clients). With 1 (``deploy/nginx.conf``), the address is the last one
nginx appended to ``X-Forwarded-For``, i.e. the one nginx saw: a client that sends its own
``X-Forwarded-For`` only adds entries to the left of it, which are never read. Every rate
limit and connection cap (Flask-Limiter, the Socket.IO gate) keys on this address.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)


def public_url(path: str) -> str:
    """Return the address a phone or another browser opens for *path* (a path of this app): behind a reverse proxy
    the public one (``PUBLIC_BASE_URL``), else the host the request came to."""
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/") + path
