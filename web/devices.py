"""Enrolment pages of kiosks and displays, and the check that a request comes from one."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from accueil import devices as device_rules
from accueil import supervision
from accueil.clock import utcnow
from accueil.errors import NotFound
from accueil.models import Device, Site
from web.context import database
from web.i18n import error_text
from web.security import error_page

COOKIE = "accueil_device"
TEN_YEARS = 10 * 365 * 24 * 3600

bp = Blueprint("devices", __name__)


def beat(device: Device) -> None:
    """Stamp *device* (read earlier) as seen, opening a write only when a stamp is due (supervision's rule)."""
    now = utcnow()
    if not supervision.beat_due(device, now):
        return
    with database().write_session() as s:
        fresh = s.get(Device, device.id)
        if fresh is not None and supervision.heartbeat(s, fresh, now=now):
            s.commit()


def current_device(kind: str, site_id: int) -> Device | None:
    """Return the enrolled device making this request if it is a *kind* of *site_id*."""
    with database().session() as s:
        device = device_rules.authenticate(s, request.cookies.get(COOKIE))
    if device is None or device.kind != kind or device.site_id != site_id:
        return None
    return device


def _home_of(device: Device, site: Site) -> str:
    endpoint = "kiosk.screen" if device.kind == "kiosk" else "display.screen"
    return url_for(endpoint, site=site.slug)


@bp.route("/appareil/<token>", methods=["GET", "POST"])
def enrol(token: str):
    """Show the enrolment confirmation; on POST, enrol this browser as the device."""
    try:
        with database().write_session() as s:
            if request.method == "GET":
                device = device_rules.pending_enrolment(s, token, now=utcnow())
                return render_template("enrol.html", device=device, site=s.get(Site, device.site_id))
            device, credential = device_rules.enrol(s, token, now=utcnow())
            site = s.get(Site, device.site_id)
            s.commit()
    except NotFound as err:
        return error_page(404, error_text(err))
    response = redirect(_home_of(device, site), code=303)
    response.set_cookie(COOKIE, credential, max_age=TEN_YEARS, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response
