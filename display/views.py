"""Waiting-room display pages: the live screen for an enrolled display, else how to install it."""
from __future__ import annotations

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, abort, render_template, url_for

from accueil.agents import site_by_slug
from accueil.errors import NotFound
from accueil.ids import is_row_id
from accueil.models import DisplayMessage
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
    # The address of a message's QR code, its id left for the screen to fill in (ids come with the messages).
    qr_pattern = url_for("display.message_qr", site=site_row.slug, message_id=1).replace("/1/qr.svg", "/{id}/qr.svg")
    return render_template("display/screen.html", site=site_row, last_calls=LAST_CALLS, qr_pattern=qr_pattern)


@bp.get("/display/<site>/messages/<int:message_id>/qr.svg")
def message_qr(site: str, message_id: int):
    """The QR code of a screen message's link, for the site's enrolled displays only."""
    try:
        with database().session() as s:
            site_row = site_by_slug(s, site)
            message = s.get(DisplayMessage, message_id) if is_row_id(message_id) else None
    except NotFound:
        abort(404)
    if current_device("display", site_row.id) is None:
        abort(403)
    if message is None or message.site_id != site_row.id or not message.link:
        abort(404)
    image = qrcode.make(message.link, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    response = Response(image.to_string(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
