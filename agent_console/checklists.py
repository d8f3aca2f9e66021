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
from accueil.ids import row_id
from accueil.models import Site, Ticket
from agent_console import auth
from agent_console.views import ACTION_LIMIT, agent_key
from web.context import database
from web.i18n import error_text
from web.proxy import public_url
from web.security import error_page, limiter

bp = Blueprint("checklists", __name__, url_prefix="/agent", template_folder="templates")
bp.before_request(auth.guard)


def _ticket(s, ticket_id: int) -> Ticket:
    if row_id(ticket_id) is None:  # beyond what the database holds: no such ticket
        raise NotFound(gettext("Ce ticket n'existe pas."))
    ticket = s.get(Ticket, ticket_id)
    site = s.get(Site, current_user.site_id)
    if ticket is None or ticket.site_id != current_user.site_id or ticket.service_day != service_day(utcnow(), site.timezone):
        raise NotFound(gettext("Ce ticket n'existe pas."))
    return ticket


def _link(secret: str) -> str:
    """The list's address as the visitor's phone opens it (the public address behind a proxy)."""
    return public_url(url_for("kiosk.documents_page", secret=secret))


def _page(ticket_id: int, *, errors: dict | None = None, values: dict | None = None, status: int = 200):
    with database().session() as s:
        try:
            ticket = _ticket(s, ticket_id)
        except NotFound as err:
            return error_page(404, error_text(err))
        offered = documents.site_catalogue(s, current_user.site_id)
        code, given = ticket.code, ticket.checklist
    back = request.values.get("retour") == "enregistrement"
    return render_template("agent_console/checklist.html", ticket_id=ticket_id, code=code, offered=offered,
                           phrases=documents.PHRASES, errors=errors or {}, values=values or {}, given=given,
                           back_to_registration=back, link=_link(given) if given else None,
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
            _ticket(s, ticket_id)
            site = s.get(Site, current_user.site_id)
            request_ = documents.read_request(keys, phrases, due, offered=documents.site_catalogue(s, site.id),
                                              today=service_day(now, site.timezone))
            documents.give(s, site_id=site.id, ticket_id=ticket_id, request=request_, now=now, link=_link)
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
