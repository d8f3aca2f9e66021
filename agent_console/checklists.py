"""« Pièces à fournir » at the desk: the agent ticks the documents a visitor must provide and gives the list.

For today's tickets of the agent's site (never taken from the URL's site). Reading the form and giving the list
are domain rules (accueil.documents); this module parses the request, renders and commits.
"""
from __future__ import annotations

from flask import Blueprint, flash, get_flashed_messages, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from accueil import documents
from accueil.clock import service_day, utcnow
from accueil.errors import DomainError, InvalidInput, NotFound
from accueil.models import Site
from agent_console import auth
from agent_console.views import ACTION_LIMIT, agent_key, list_link
from web.context import database
from web.i18n import error_text
from web.security import error_page, limiter

bp = Blueprint("checklists", __name__, url_prefix="/agent", template_folder="templates")
bp.before_request(auth.guard)


def _page(ticket_id: int, *, errors: dict | None = None, values: dict | None = None, status: int = 200):
    with database().session() as s:
        try:
            ticket = documents.ticket_for_list(s, site_id=current_user.site_id, ticket_id=ticket_id, now=utcnow())
        except NotFound as err:
            return error_page(404, error_text(err))
        offered = documents.site_catalogue(s, current_user.site_id)
        code, given = ticket.code, ticket.checklist
    back = request.values.get("retour") == "enregistrement"
    return render_template("agent_console/checklist.html", ticket_id=ticket_id, code=code, offered=offered,
                           phrases=documents.PHRASES, errors=errors or {}, values=values or {}, given=given,
                           back_to_registration=back, link=list_link(given),
                           messages=get_flashed_messages(with_categories=True)), status


@bp.get("/tickets/<int:ticket_id>/pieces")
@login_required
def give_form(ticket_id: int):
    return _page(ticket_id)


@bp.post("/tickets/<int:ticket_id>/pieces")
@login_required
@limiter.limit(ACTION_LIMIT, key_func=agent_key)
def give(ticket_id: int):
    keys = request.form.getlist("documents")[:60]
    phrases = {key[7:]: value[:30] for key, value in request.form.items() if key.startswith("phrase-")}
    due = request.form.get("due_on", "")[:20]
    values = {"documents": [k[:40] for k in keys], "phrases": phrases, "due_on": due}
    now = utcnow()
    try:
        with database().write_session() as s:
            site = s.get(Site, current_user.site_id)
            documents.ticket_for_list(s, site_id=site.id, ticket_id=ticket_id, now=now)  # before reading the form
            request_ = documents.read_request(keys, phrases, due, offered=documents.site_catalogue(s, site.id),
                                              today=service_day(now, site.timezone))
            documents.give(s, site_id=site.id, ticket_id=ticket_id, request=request_, now=now, link=list_link)
            s.commit()
    except NotFound as err:
        return error_page(404, error_text(err))
    except InvalidInput as err:
        return _page(ticket_id, errors={err.field or "documents": error_text(err)}, values=values, status=400)
    except DomainError as err:
        return _page(ticket_id, errors={"documents": error_text(err)}, values=values, status=409)
    flash(gettext("La liste est envoyée. La personne la voit sur la page de son ticket."), "ok")
    target = {"retour": "enregistrement"} if request.form.get("retour") == "enregistrement" else {}
    return redirect(url_for("checklists.give_form", ticket_id=ticket_id, **target), code=303)
