"""/api/v1: thin handlers over the domain; token authentication scoped to one site."""
from __future__ import annotations

from datetime import date
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import force_locale
from werkzeug.exceptions import HTTPException

from accueil import api_tokens, audiences
from accueil.agents import site_by_slug
from accueil.appointment_import import import_appointments
from accueil.clock import utcnow
from accueil.errors import DomainError, InvalidInput, NotFound
from accueil.i18n import N_
from accueil.models import Site
from accueil.stats import compute
from accueil.waiting import ticket_by_public_id
from api.openapi import DOCUMENT
from web.context import database, vault
from web.i18n import error_text
from web.security import limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_BODY = 2 * 1024 * 1024  # 5,000 appointments fit; pages keep the app's small limit
# Per address, like the visitor's pages: a whole waiting room may share the office Wi-Fi's address,
# and a link is 32 random characters, so this limit is against floods, not against guessing.
TICKET_LIMIT = "120 per minute"


@bp.before_request
def _body_limit():
    request.max_content_length = MAX_BODY


def _error(status: int, code: str, message: str):
    return jsonify(error=code, message=message), status


def _domain_error(err: DomainError):
    status = 404 if isinstance(err, NotFound) else 400
    with force_locale("fr"):  # integrations get the French text; the code is stable
        return _error(status, err.code, error_text(err))


def token_required(scope: str):
    """Require a bearer token of the site in the path, with *scope*."""

    def decorate(view):
        @wraps(view)
        def wrapper(site: str, **kw):
            header = request.headers.get("Authorization", "")
            secret = header[7:].strip() if header.lower().startswith("bearer ") else None
            with database().session() as s:
                token = api_tokens.authenticate(s, secret)
                if token is None:
                    return _error(401, "unauthorized", "Jeton absent ou inconnu.")
                try:
                    target = site_by_slug(s, site)
                except NotFound as err:
                    return _domain_error(err)
            if token.site_id != target.id or scope not in token.scopes.split():
                return _error(403, "forbidden", "Ce jeton ne donne pas ce droit sur ce site.")
            g.api_site = target
            return view(site=site, **kw)

        return wrapper

    return decorate


def _http_error(err: HTTPException):
    return _error(err.code or 500, "http_error", err.description or err.name)


# By code: the app's own handlers (HTML pages) are looked up by code before any class handler.
for _code in (400, 401, 403, 404, 405, 413, 429, 500):
    bp.register_error_handler(_code, _http_error)


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")  # live states, and links are secrets
    return response


@bp.get("/openapi.json")
def openapi():
    return jsonify(DOCUMENT)


@bp.get("/tickets/<link>")
@limiter.limit(TICKET_LIMIT)
def ticket_status(link: str):
    """The status of the ticket whose page is /ticket/<link>: the link is the secret, no token."""
    with database().session() as s:
        ticket = ticket_by_public_id(s, link)
        if ticket is None:
            return _error(404, "not_found", "Ce ticket n'existe pas.")
        status = audiences.phone_snapshot(s, link, now=utcnow(), cache=_cache())
        slug = s.get(Site, ticket.site_id).slug
    return jsonify(audiences.api_ticket(status, slug=slug))


@bp.get("/sites/<site>/queues")
@limiter.limit("60 per minute")
@token_required("queues:read")
def queues(site: str):
    """What the site's waiting-room display shows, and each queue's wait range for a newcomer."""
    with database().session() as s:
        state = _cache().get(s, g.api_site.id, now=utcnow())
    return jsonify(audiences.api_queues(state, slug=site, now=utcnow()))


def _cache():
    return current_app.extensions["accueil.dispatcher"].cache


@bp.post("/sites/<site>/appointments")
@limiter.limit("60 per minute")
@token_required("appointments:write")
def appointments(site: str):
    body = request.get_json(silent=True)
    items = body.get("appointments") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) > 5000 or not all(isinstance(i, dict) for i in items):
        return _error(400, "invalid_input", "Envoyez {\"appointments\": [...]} (5 000 au plus).")
    rows = [(index, {k: str(v) for k, v in item.items() if isinstance(v, (str, int))})
            for index, item in enumerate(items, start=1)]
    with database().write_session() as s:
        report = import_appointments(s, vault(), site_id=g.api_site.id, rows=rows)
        s.commit()
    with force_locale("fr"):
        rejected = [{"index": i, "field": getattr(err, "field", None), "message": error_text(err)}
                    for i, err in report.rejected]
    return jsonify(created=report.created, updated=report.updated, unchanged=report.unchanged, rejected=rejected)


def _day(name: str) -> date:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        raise InvalidInput(N_("La date « %(name)s » doit s'écrire AAAA-MM-JJ."), field=name, name=name) from None


@bp.get("/sites/<site>/statistics")
@limiter.limit("60 per minute")
@token_required("stats:read")
def statistics(site: str):
    try:
        with database().session() as s:
            fig = compute(s, site_id=g.api_site.id, start=_day("from"), end=_day("to"),
                          queue_letter=request.args.get("queue") or None)
    except DomainError as err:
        return _domain_error(err)
    return jsonify({
        "site": fig.site, "from": fig.start.isoformat(), "to": fig.end.isoformat(), "queue": fig.queue,
        "tickets": fig.tickets, "visits": fig.visits, "within_20_minutes": fig.within_target,
        "share_within_20_minutes": fig.share_within_target, "left_without_contact": fig.left_without_contact,
        "no_shows": fig.no_shows, "left_before_call": fig.left_before_call, "arrivals_by_hour": [fig.arrivals_by_hour[h] for h in range(24)],
        "wait_distribution": [{"range": r, "visits": n} for r, n in fig.wait_buckets],
        "wait_minutes": {"median": fig.wait_median, "mean": fig.wait_mean},
        "service_minutes": {"median": fig.service_median, "mean": fig.service_mean},
        "satisfaction": {"answers": [fig.satisfaction[r] for r in range(1, 6)], "mean": fig.satisfaction_mean},
    })
