"""The visitor's list of documents to provide (« Pièces à fournir »), reached through its own link: large pictures,
the names in the visitor's language, boxes ticked on the phone only, how to send them; offline once opened."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import format_date, get_locale, gettext

from accueil import documents
from accueil.clock import utcnow
from accueil.models import Site
from kiosk.views import bp
from web.context import database
from web.i18n import document_words
from web.security import error_page, limiter

ADDRESS_LIMIT = "120 per minute"


@bp.get("/pieces/<secret>")
@limiter.limit(ADDRESS_LIMIT)
def documents_page(secret: str):
    """The list, as its visitor keeps it: an unknown or expired link says so, never more."""
    with database().session() as s:
        given = documents.given(s, secret, now=utcnow())
        site = s.get(Site, given.site_id) if given else None
    if given is None or site is None:
        return error_page(404, gettext("Cette liste n'existe pas, ou elle n'est plus valable. "
                                       "Demandez-la à nouveau à l'accueil."))
    french = str(get_locale()) != "fr"  # the paper the visitor holds says its French name: shown beside
    items = [{"key": d.key, "pictogram": d.pictogram, "words": document_words(d),
              "french": d.name if french and not d.own else None,
              "phrase": gettext(documents.PHRASES[phrase]) if phrase else None} for d, phrase in given.items]
    response = render_template(
        "kiosk/documents.html", site=site, items=items, secret=given.secret,
        due=format_date(given.due_on, format="long") if given.due_on else None,
        until=format_date(given.expires_at, format="long"),
        how=given.how or gettext(documents.HOW_TO_SEND), printing=request.args.get("imprimer") == "1")
    return response, 200, {"Cache-Control": "no-cache"}


@bp.get("/pieces/sw.js")
def documents_worker():
    """The lists' service worker: a list once opened opens again without a network."""
    response = bp.send_static_file("kiosk/documents-sw.js")
    response.headers["Cache-Control"] = "no-cache"
    return response
