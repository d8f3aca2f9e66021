"""Languages: eight on the visitors' pages, French, English and Arabic (right to left) on the staff's; chosen on
every page."""
from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from babel import Locale
from flask import Blueprint, Flask, redirect, request
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from accueil.errors import DomainError
from accueil.i18n import STAFF_LOCALES, VISITOR_LOCALES
from accueil.lifecycle import STATUS_LABELS

# Each language's name in its own words and script, and its direction.
_NAMES = {"fr": ("Français", "ltr"), "en": ("English", "ltr"), "ar": ("العربية", "rtl"), "es": ("Español", "ltr"),
          "pt": ("Português", "ltr"), "tr": ("Türkçe", "ltr"), "ro": ("Română", "ltr"), "uk": ("Українська", "ltr")}
LANGUAGES = {code: _NAMES[code] for code in VISITOR_LOCALES}
STAFF_LANGUAGES = {code: _NAMES[code] for code in STAFF_LOCALES}
DEFAULT = VISITOR_LOCALES[0]
COOKIE = "lang"

bp = Blueprint("i18n", __name__)
_staff_blueprints: set[str] = set()


def staff_only(blueprint: Blueprint) -> Blueprint:
    """Mark a surface as the staff's: its pages speak French, English or Arabic (every other page is a visitor's)."""
    _staff_blueprints.add(blueprint.name)
    return blueprint


def offered() -> dict:
    """Return the languages this request's page is offered in."""
    if request and request.blueprint and request.blueprint.split(".")[0] in _staff_blueprints:
        return STAFF_LANGUAGES
    return LANGUAGES


_ACCEPT_MAX = 256
"""Characters of an Accept-Language header read (browsers send a few dozen): the choices are remembered by header."""


# Built once: Flask-Babel takes a Locale as it is, where a code would be parsed again on every request.
_LOCALES = {code: Locale.parse(code) for code in LANGUAGES}


def select_locale() -> Locale:
    """Return the language chosen on a page (a cookie), else the best of the browser's (Accept-Language), else
    French: a Turkish phone opens in Turkish, and keeps what its visitor picks. A staff page whose chosen language
    it does not offer takes the browser's best among its own."""
    if not request:
        return _LOCALES[DEFAULT]
    languages = offered()
    lang = request.cookies.get(COOKIE)
    if lang in languages:
        return _LOCALES[lang]
    return _LOCALES[_browser_best(request.headers.get("Accept-Language", "")[:_ACCEPT_MAX], languages is STAFF_LANGUAGES)]


@lru_cache(maxsize=512)
def _browser_best(header: str, staff: bool) -> str:
    """The best of a browser's languages (its Accept-Language *header*) among a page's, else French."""
    languages = STAFF_LANGUAGES if staff else LANGUAGES
    return parse_accept_header(header, LanguageAccept).best_match(languages.keys()) or DEFAULT


def direction() -> str:
    return LANGUAGES.get(str(get_locale()), LANGUAGES[DEFAULT])[1]


def error_text(err: DomainError) -> str:
    """Translate a domain error into the visitor's language."""
    params = {k: gettext(v) if v in STATUS_LABELS.values() else v for k, v in err.params.items()}
    text = gettext(err.message_id)
    return text % params if params else text


def document_words(document) -> tuple[str, str]:
    """A document's name and description (accueil.documents.Document) in the reader's language: the network's
    translated, a site's own as its supervisor wrote them."""
    if document.own:
        return document.name, document.description
    return gettext(document.name), gettext(document.description) if document.description else ""


def _safe_next(target: str | None) -> str:
    """Only a path of this site may follow a language switch (no open redirect)."""
    parts = urlsplit(target or "/")
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.get("/langue/<code>")
def switch(code: str):
    """Remember the chosen language and go back to the page."""
    response = redirect(_safe_next(request.args.get("next")), code=303)
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


_HYPHENATED = re.compile(r"\w+(?:-\w+)+")


def unbroken(text: str) -> Markup:
    """A short label whose compound words never break at their hyphen (« rendez-\nvous » on a narrow phone).

    Each such word is wrapped in a span that keeps it whole (CSS ``.nowrap``): the text itself is unchanged.
    """
    escaped = str(escape(text))
    return Markup(_HYPHENATED.sub(lambda m: f'<span class="nowrap">{m.group(0)}</span>', escaped))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_filter(unbroken)
    app.add_template_global(document_words)

    @app.context_processor
    def _languages():
        return {"languages": offered(), "current_language": str(get_locale()), "text_direction": direction()}
