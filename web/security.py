"""Security for every page: headers (strict CSP, no inline script), CSRF, rate limits, error pages."""
from __future__ import annotations

from flask import Flask, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self' data:; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Ticket links are secrets: never leak them to another site. Same-origin requests keep it: over
    # HTTPS the CSRF check wants the form's own page as referrer (Flask-WTF's WTF_CSRF_SSL_STRICT).
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


HSTS = "max-age=31536000"
"""Sent over HTTPS only: browsers then refuse plain HTTP to this host for a year."""


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure whenever the request came over HTTPS.

    Behind the documented nginx the app learns the scheme from X-Forwarded-Proto, read only
    with ACCUEIL_TRUSTED_PROXIES (web/proxy.py); on a plain-HTTP test set-up the cookie must
    stay usable, so Secure follows the request (SESSION_COOKIE_SECURE forces it always).
    """

    def __init__(self) -> None:
        self._serializer: tuple = (None, None)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)

    def get_signing_serializer(self, app: Flask):
        """Flask's serializer, built once for a set of keys (Flask builds one on every request, twice a POST)."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._serializer[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
        return self._serializer[1]


def error_page(status: int, message: str):
    return render_template("error.html", message=message, status=status), status


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.session_interface = SessionCookies()
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter.init_app(app)

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.path.startswith(("/k/", "/ticket/", "/agent/", "/appareil/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def _csrf(_err):
        return error_page(400, gettext("La page est restée ouverte trop longtemps. Revenez en arrière et recommencez."))

    @app.errorhandler(400)
    def _bad_request(_err):
        return error_page(400, gettext("La demande n'est pas valide."))

    @app.errorhandler(404)
    def _not_found(_err):
        return error_page(404, gettext("Cette page n'existe pas."))

    @app.errorhandler(405)
    def _method(_err):
        return error_page(405, gettext("Cette action n'est pas possible ici."))

    @app.errorhandler(413)
    def _too_large(_err):
        return error_page(413, gettext("Les informations envoyées sont trop longues."))

    @app.errorhandler(429)
    def _too_many(_err):
        return error_page(429, gettext("Trop d'essais. Attendez une minute, puis recommencez."))

    @app.errorhandler(500)
    def _server_error(_err):
        return error_page(500, gettext("Un problème est survenu. Adressez-vous à l'accueil."))
