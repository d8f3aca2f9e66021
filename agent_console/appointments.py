"""The day's appointments for agents, and the supervisors' upload of the booking system's CSV export.

Scoped to the signed-in agent's site (never taken from the URL). The import and the states
are domain rules (accueil.appointment_import, accueil.appointments); this module parses the
request, calls them, commits and renders. No page shows anything of a NIR.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlmodel import select

from accueil import needs
from accueil.appointment_import import import_appointments, read_csv
from accueil.appointments import KIND_LABELS, STATE_LABELS, day_appointments
from accueil.clock import service_day, utcnow
from accueil.errors import DomainError
from accueil.models import Agent, Desk, Site
from agent_console import auth
from agent_console.views import agent_key
from web.context import database, vault
from web.i18n import error_text
from web.security import limiter

bp = Blueprint("appointments", __name__, url_prefix="/agent", template_folder="templates")

MAX_UPLOAD = 2 * 1024 * 1024  # a 5,000-row export fits; other pages keep the app's small limit


@bp.before_request
def _guard():
    if request.endpoint == "appointments.upload":
        request.max_content_length = MAX_UPLOAD
    return auth.guard()


@bp.app_context_processor
def _rule():
    def priority_rule_text() -> str:
        if not current_user.is_authenticated:
            return ""
        with database().session() as s:
            site = s.get(Site, current_user.site_id)
            rule = site.priority_rule if site else needs.PRIORITY_FIRST
        return gettext(needs.PRIORITY_RULES.get(rule, needs.PRIORITY_RULES[needs.PRIORITY_FIRST]))
    return {"priority_rule_text": priority_rule_text}


def _page(report=None, error=None, status=200):
    return render_template("agent_console/appointments_import.html", report=report, error=error), status


@bp.get("/appointments/import")
@login_required
@auth.supervisor_only
def import_form():
    return _page()


@bp.post("/appointments/import")
@login_required
@limiter.limit("20 per minute", key_func=agent_key)
@auth.supervisor_only
def upload():
    file = request.files.get("file")
    if file is None or not file.filename:
        return _page(error=gettext("Choisissez un fichier."), status=400)
    try:
        count, rows = read_csv(file.read())
        with database().write_session() as s:
            report = import_appointments(s, vault(), site_id=current_user.site_id, rows=rows)
            s.commit()
    except UnicodeDecodeError:
        return _page(error=gettext("Le fichier doit être enregistré en UTF-8."), status=400)
    except DomainError as err:
        return _page(error=error_text(err), status=400)
    rejected = [(line, error_text(err)) for line, err in report.rejected]
    return _page(report={"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                         "rejected": rejected, "count": count})


def _day_items() -> list[dict]:
    now = utcnow()
    with database().session() as s:
        site = s.get(Site, current_user.site_id)
        today = service_day(now, site.timezone)
        tz = ZoneInfo(site.timezone)
        rows = day_appointments(s, site.id, today, now)
        logins = dict(s.exec(select(Agent.id, Agent.login).where(Agent.site_id == site.id)).all())
        desks = dict(s.exec(select(Desk.id, Desk.name).where(Desk.site_id == site.id)).all())
    return [{"id": a.id, "at": a.at.astimezone(tz).strftime("%H:%M"), "kind": KIND_LABELS.get(a.kind, a.kind),
             "state": state, "state_label": STATE_LABELS[state], "agent": logins.get(a.agent_id),
             "desk": desks.get(a.desk_id), "reason": a.reason} for a, state in rows]


@bp.get("/appointments")
@login_required
def day():
    """The day's appointments with their state, kept live (arrivals, calls, imports)."""
    config = {"namespace": "/agent", "fragment": url_for("appointments.fragment"), "region": "appointments-region",
              "every": 60,  # « absent » comes with the clock, not with an event
              "text": {"offline": gettext("Connexion perdue. Reconnexion en cours…"),
                       "online": gettext("Connecté. La liste est à jour.")}}
    return render_template("agent_console/appointments.html", items=_day_items(), config=config)


@bp.get("/appointments/fragment")
@login_required
@limiter.limit("120 per minute", key_func=agent_key)
def fragment():
    return render_template("agent_console/_appointments.html", items=_day_items())
