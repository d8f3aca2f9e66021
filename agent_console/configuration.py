"""The supervisors' configuration of their site: settings, opening hours, queues, desks, agents.

Supervisors only, their own site only (the site comes from the session, never from the
URL; an id of another site's row is « introuvable »). Every change is a plain form POST
with its CSRF token; the rules live in accueil.configuration. A bad input re-renders the
page with the message beside its field and stores nothing. Committed changes reach the
site's consoles and screens through the SiteChanged event (agent_console/sockets.py,
display/sockets.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, flash, get_flashed_messages, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from accueil import configuration as rules
from accueil import documents, needs
from accueil.branding import LOGO_MAX, set_branding
from accueil.clock import utcnow
from accueil.errors import DomainError, InvalidInput, NotFound
from accueil.i18n import N_
from agent_console import auth
from agent_console.views import agent_key
from web.context import database
from web.i18n import error_text
from web.security import error_page, limiter

bp = Blueprint("configuration", __name__, url_prefix="/agent/configuration", template_folder="templates")

LIMIT = "60 per minute"


@dataclass
class Failed:
    """The form that was refused: what was typed (never a password) and the message of each field."""

    form: str
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


bp.before_request(auth.guard)


SECTIONS = {"site": N_("Le site"), "hours": N_("Horaires d'ouverture"), "queues": N_("Files d'attente"),
            "desks": N_("Bureaux"), "agents": N_("Comptes des agents"), "messages": N_("Messages de l'écran"),
            "documents": N_("Pièces à fournir")}
"""The configuration's sections, each a page of its own (/agent/configuration/<section>); devices have theirs."""
SECTION_PATHS = "/<any(" + ", ".join(SECTIONS) + "):section>"


def _page(section: str | None, failed: Failed | None = None, status: int = 200):
    """The section's page (or, without one, the list of sections), confirmations beside what changed."""
    with database().session() as s:
        pic = rules.picture(s, current_user.site_id)
        catalogue = documents.site_catalogue(s, current_user.site_id) if section == "documents" else []
        hidden = documents.hidden_keys(s, current_user.site_id) if section == "documents" else set()
    flashed = get_flashed_messages(with_categories=True)
    done = {category.split(":", 1)[1]: message for category, message in flashed if category.startswith("ok:")}
    others = [(category, message) for category, message in flashed if not category.startswith("ok:")]

    def error(form: str, name: str) -> str:
        return failed.errors.get(name, "") if failed is not None and failed.form == form else ""

    def value(form: str, name: str, default=""):
        if failed is not None and failed.form == form and name in failed.values:
            return failed.values[name]
        return default

    return render_template(
        "agent_console/configuration.html", p=pic, failed=failed, error=error, value=value, section=section,
        sections=SECTIONS, done=done, messages=others, weekdays=rules.WEEKDAYS, format_time=rules.format_time,
        max_periods=rules.MAX_PERIODS, kinds=rules.KIND_LABELS, purposes=rules.PURPOSE_LABELS,
        roles=rules.ROLE_LABELS, capabilities=needs.CAPABILITY_LABELS, capability_codes=needs.codes,
        priority_rules=needs.PRIORITY_RULES, message_max=rules.MESSAGE_MAX, link_max=rules.LINK_MAX,
        network=documents.CATALOGUE, own=[d for d in catalogue if d.own], hidden=hidden,
        pictograms=documents.PICTOGRAMS, how_to_send=documents.HOW_TO_SEND,
    ), status


def _form(*names: str) -> dict:
    return {name: request.form.get(name, "")[:200] for name in names}


def _apply(section: str, form: str, anchor: str, message: str, fn, values: dict, **kw):
    """Run *fn* in a write session and commit: back to the section, the confirmation beside *anchor*.

    On bad input the section comes again, the message beside the field and what was typed kept.
    """
    try:
        with database().write_session() as s:
            fn(s, site_id=current_user.site_id, now=utcnow(), **kw)
            s.commit()
    except NotFound as err:
        return error_page(404, error_text(err))
    except InvalidInput as err:
        return _page(section, Failed(form, values, {err.field or "form": error_text(err)}), 400)
    except DomainError as err:
        return _page(section, Failed(form, values, {"form": error_text(err)}), 409)
    flash(message, f"ok:{anchor}")
    return redirect(url_for("configuration.section", section=section, _anchor=anchor), code=303)


@bp.get("")
@login_required
@auth.supervisor_only
def page():
    return _page(None)


@bp.get(SECTION_PATHS)
@login_required
@auth.supervisor_only
def section(section: str):
    return _page(section)


# --- the site --------------------------------------------------------------------------------


@bp.post("/site")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def site():
    values = _form("name", "retention_hours", "checkin_early_minutes", "checkin_late_minutes",
                   "assigned_wait_minutes", "priority_rule")
    if "messages" in request.form:  # the page's section on SMS (its checkbox is absent when unticked)
        values |= _form("notify_soon_people", "notify_soon_minutes")
        values["notify_no_show"] = request.form.get("notify_no_show") == "1"
    return _apply("site", "site", "site", gettext("Les réglages du site sont enregistrés."), rules.update_site,
                  values, **values)


@bp.post("/branding")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def branding():
    upload = request.files.get("logo")
    data = upload.read(LOGO_MAX + 1) if upload is not None and upload.filename else None
    values = {"accent": request.form.get("accent", "")[:10], "remove_logo": request.form.get("remove_logo") == "1"}
    return _apply("site", "branding", "branding", gettext("Le logo et la couleur sont enregistrés."),
                  set_branding, values, accent=values["accent"], remove_logo=values["remove_logo"],
                  logo=(data, upload.mimetype if upload is not None else None) if data else None)


@bp.post("/hours")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def hours():
    values = {name: request.form.get(name, "")[:8] for day in range(7) for i in range(rules.MAX_PERIODS)
              for name in (f"opens-{day}-{i}", f"closes-{day}-{i}")}
    values |= {name: request.form.get(name) == "1" for day in range(7) for name in (f"closed-{day}", f"same-{day}")}
    answers = {day: rules.DayAnswer(closed=values[f"closed-{day}"], like_monday=values[f"same-{day}"],
                                    periods=tuple((values[f"opens-{day}-{i}"], values[f"closes-{day}-{i}"])
                                                  for i in range(rules.MAX_PERIODS)))
               for day in range(7)}
    return _apply("hours", "hours", "hours", gettext("Les horaires d'ouverture sont enregistrés."),
                  rules.set_opening_week, values, answers=answers)


# --- queues ----------------------------------------------------------------------------------


@bp.post("/queues")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def add_queue():
    values = _form("letter", "name", "kind", "seats", "purpose")
    return _apply("queues", "queue-new", "queue-new", gettext("La file est créée."), rules.create_queue, values,
                  letter=values["letter"], name=values["name"], kind=values["kind"], seats=values["seats"],
                  purpose=values["purpose"])


@bp.post("/queues/<int:queue_id>")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def edit_queue(queue_id: int):
    values = _form("name", "kind", "seats", "purpose")
    return _apply("queues", f"queue-{queue_id}", f"queue-{queue_id}", gettext("La file est modifiée."),
                  rules.update_queue, values, queue_id=queue_id, **values)


@bp.post("/queues/<int:queue_id>/active")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def queue_active(queue_id: int):
    active = request.form.get("active") == "1"
    message = gettext("La file est rouverte.") if active else gettext("La file est fermée.")
    return _apply("queues", f"queue-{queue_id}-active", f"queue-{queue_id}", message, rules.set_queue_active, {},
                  queue_id=queue_id, active=active)


# --- desks -----------------------------------------------------------------------------------


def _desk_values() -> dict:
    return {"name": request.form.get("name", "")[:200], "queues": request.form.getlist("queues")[:30],
            "capabilities": request.form.getlist("capabilities")[:10],
            "directions": request.form.get("directions", "")[:400], "printer": request.form.get("printer", "")[:61]}


@bp.post("/desks")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def add_desk():
    v = _desk_values()
    return _apply("desks", "desk-new", "desk-new", gettext("Le bureau est créé."), rules.create_desk, v,
                  name=v["name"], queue_ids=v["queues"], capabilities=v["capabilities"], directions=v["directions"],
                  printer=v["printer"])


@bp.post("/desks/<int:desk_id>")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def edit_desk(desk_id: int):
    v = _desk_values()
    return _apply("desks", f"desk-{desk_id}", f"desk-{desk_id}", gettext("Le bureau est modifié."), rules.update_desk,
                  v, desk_id=desk_id, name=v["name"], queue_ids=v["queues"], capabilities=v["capabilities"],
                  directions=v["directions"], printer=v["printer"])


@bp.post("/desks/<int:desk_id>/active")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def desk_active(desk_id: int):
    active = request.form.get("active") == "1"
    message = gettext("Le bureau est rouvert.") if active else gettext("Le bureau est fermé.")
    return _apply("desks", f"desk-{desk_id}-active", f"desk-{desk_id}", message, rules.set_desk_active, {},
                  desk_id=desk_id, active=active)


# --- the screens' messages ---------------------------------------------------------------------


def _message_values() -> dict:
    return {"text": request.form.get("text", "")[:rules.MESSAGE_MAX + 1],
            "link": request.form.get("link", "")[:rules.LINK_MAX + 1]}


@bp.post("/messages")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def add_message():
    values = _message_values()
    return _apply("messages", "message-new", "message-new", gettext("Le message est ajouté aux écrans."),
                  rules.create_display_message, values, **values)


@bp.post("/messages/<int:message_id>")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def edit_message(message_id: int):
    values = _message_values()
    return _apply("messages", f"message-{message_id}", f"message-{message_id}", gettext("Le message est modifié."),
                  rules.update_display_message, values, message_id=message_id, **values)


@bp.post("/messages/<int:message_id>/delete")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def delete_message(message_id: int):
    return _apply("messages", f"message-{message_id}-delete", "messages", gettext("Le message est retiré des écrans."),
                  rules.delete_display_message, {}, message_id=message_id)


# --- documents to provide -------------------------------------------------------------------


@bp.post("/documents")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def documents_how():
    values = {"documents_how": request.form.get("documents_how", "")[:500],
              "documents_days": request.form.get("documents_days", "")[:10]}
    return _apply("documents", "documents", "documents", gettext("Les réglages des pièces à fournir sont enregistrés."),
                  lambda s, site_id, now, **kw: documents.set_how(s, site_id=site_id, how=kw["documents_how"],
                                                                  days=kw["documents_days"]), values, **values)


@bp.post("/documents/own")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def documents_own():
    values = {name: request.form.get(name, "")[:200] for name in ("name", "description", "pictogram")}
    return _apply("documents", "document-new", "document-new", gettext("Le papier est ajouté à la liste."),
                  lambda s, site_id, now, **kw: documents.add_own(s, site_id=site_id, **kw), values, **values)


@bp.post("/documents/<key>/shown")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def document_shown(key: str):
    shown = request.form.get("shown") == "1"
    anchor = f"document-{key}" if key in documents.NETWORK else "documents-own"
    message = gettext("Le papier est proposé aux agents.") if shown else gettext("Le papier n'est plus proposé aux agents.")
    return _apply("documents", anchor, anchor, message,
                  lambda s, site_id, now, **kw: documents.set_hidden(s, site_id=site_id, key=key, hidden=not shown), {})


# --- agents ----------------------------------------------------------------------------------


@bp.post("/agents")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def add_agent():
    values = _form("login", "role")
    return _apply("agents", "agent-new", "agent-new", gettext("Le compte est créé. Donnez le mot de passe à la personne."),
                  rules.create_agent, values, login=values["login"], role=values["role"],
                  password=request.form.get("password", "")[:200])


@bp.post("/agents/<int:agent_id>/active")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def agent_active(agent_id: int):
    active = request.form.get("active") == "1"
    message = gettext("Le compte est réactivé.") if active else gettext("Le compte est désactivé.")
    # Once disabled, its open consoles close now (accueil.configuration says so after commit); its next
    # request is refused.
    return _apply("agents", f"agent-{agent_id}-active", f"agent-{agent_id}", message, rules.set_agent_active, {},
                  agent_id=agent_id, active=active, by_agent_id=current_user.id)


@bp.post("/agents/<int:agent_id>/password")
@login_required
@auth.supervisor_only
@limiter.limit(LIMIT, key_func=agent_key)
def agent_password(agent_id: int):
    return _apply("agents", f"agent-{agent_id}-password", f"agent-{agent_id}",
                  gettext("Le mot de passe est changé. Donnez-le à la personne."), rules.reset_password, {},
                  agent_id=agent_id, password=request.form.get("password", "")[:200])
