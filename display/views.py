"""Waiting-room display pages: the live screen for an enrolled display, else how to install it."""
from __future__ import annotations

from flask import Blueprint, render_template

from accueil.agents import site_by_slug
from accueil.errors import NotFound
from accueil.site_state import LAST_CALLS
from web.context import database
from web.devices import current_device
from web.i18n import error_text
from web.security import error_page

bp = Blueprint("display", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/display")


@bp.get("/display/<site>")
def screen(site: str):
    """The live screen of *site*, shown only on an enrolled display of that site."""
    try:
        with database().session() as s:
            site_row = site_by_slug(s, site)
    except NotFound as err:
        return error_page(404, error_text(err))
    if current_device("display", site_row.id) is None:
        return render_template("display/not_installed.html", site=site_row), 403
    return render_template("display/screen.html", site=site_row, last_calls=LAST_CALLS)
