"""The office's logo and colour as the pages ask for them (accueil.branding checked them when they were set)."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, abort

from accueil.agents import site_by_slug
from accueil.branding import logo_of
from accueil.errors import NotFound
from web.context import database

bp = Blueprint("branding", __name__)

# A logo is shown as an image; opened on its own, it is a document of this site: nothing in it may run,
# load or style anything beyond itself.
LOGO_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _site(slug: str):
    try:
        with database().session() as s:
            return site_by_slug(s, slug)
    except NotFound:
        abort(404)


@bp.get("/site/<slug>/logo")
def logo(slug: str):
    """The office's logo (its address changes with each new logo: it may be kept a day)."""
    site = _site(slug)
    with database().session() as s:
        found = logo_of(s, site.id) if site.logo_version > 0 else None
    if found is None:
        abort(404)
    response = Response(found.data, mimetype=found.media_type)
    response.headers["Content-Security-Policy"] = LOGO_POLICY
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/site/<slug>/theme.css")
def theme(slug: str):
    """The office's colour for its pages' buttons and links (empty when it keeps the product's own)."""
    site = _site(slug)
    css = f":root {{ --accent: {site.accent}; }}\n" if site.accent else ""
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"  # its address carries the colour
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
