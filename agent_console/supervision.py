"""Supervisors' pages: the live supervision of their site and the history with its CSV export.

Supervisors only, their own site only (the site comes from the session, never from the URL).
The figures and the rules (late, offline) live in accueil.stats and accueil.supervision.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlmodel import select

from accueil import documents, stats
from accueil import supervision as rules
from accueil.clock import service_day, utcnow
from accueil.errors import DomainError
from accueil.models import Agent, Queue, Site
from agent_console import auth
from web.context import database
from web.i18n import document_words, error_text
from web.security import limiter

bp = Blueprint("supervision", __name__, url_prefix="/agent", template_folder="templates", static_folder="static",
               static_url_path="/static/supervision")


bp.before_request(auth.guard)


def _picture():
    with database().session() as s:
        return rules.picture(s, site_id=current_user.site_id, now=utcnow())


@bp.get("/supervision")
@login_required
@auth.supervisor_only
def supervision():
    config = {"namespace": "/agent", "fragment": url_for("supervision.fragment"), "region": "supervision-region",
              "every": 30,
              "text": {"offline": gettext("Connexion perdue. Reconnexion en cours…"),
                       "online": gettext("Connecté. Les chiffres sont à jour.")}}
    p = _picture()
    return render_template("agent_console/supervision.html", p=p, chart=_wait_chart(p), config=config,
                           target=stats.CNAF_TARGET_MINUTES)


@bp.get("/supervision/fragment")
@login_required
@limiter.limit("120 per minute")
@auth.supervisor_only
def fragment():
    p = _picture()
    return render_template("agent_console/_supervision.html", p=p, chart=_wait_chart(p), target=stats.CNAF_TARGET_MINUTES)


# --- history ---------------------------------------------------------------------------------


class BadPeriod(Exception):
    pass


def _date(name: str, default: date) -> date:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadPeriod(gettext("La date n'est pas valide. Écrivez-la ainsi : 2026-03-31.")) from None


def _figures():
    """Return (figures, form values, error message, queues, agent logins) for the request's period."""
    with database().session() as s:
        site = s.get(Site, current_user.site_id)
        today = service_day(utcnow(), site.timezone)
        queues = s.exec(select(Queue).where(Queue.site_id == site.id).order_by(Queue.letter)).all()
        logins = dict(s.exec(select(Agent.id, Agent.login).where(Agent.site_id == site.id)).all())
        queue = (request.args.get("queue") or "").strip()[:1] or None
        form = {"from": request.args.get("from", "")[:20], "to": request.args.get("to", "")[:20], "queue": queue or ""}
        try:
            start = _date("from", today - timedelta(days=6))
            end = _date("to", today)
            form.update({"from": start.isoformat(), "to": end.isoformat()})
            return stats.compute(s, site_id=site.id, start=start, end=end, queue_letter=queue), form, None, queues, logins
        except BadPeriod as err:
            return None, form, str(err), queues, logins
        except DomainError as err:
            return None, form, error_text(err), queues, logins


def _bars(items: list[tuple[str, float]], width: int = 640, height: int = 240, *, axis_every: int = 1,
          target: float | None = None, extra: list | None = None) -> dict:
    """Geometry of a bar chart, drawn by the template as SVG (its CSS keeps it at least *width* px wide).

    *axis_every*: label one bar in so many under the axis (the table names them all); *target*: a line
    across at that value; *extra*: a second value per bar, for the table only.
    """
    top = max([v for _, v in items] + [target or 0], default=0) or 1
    n = max(len(items), 1)
    slot = (width - 40) / n
    bars = []
    for i, (label, value) in enumerate(items):
        h = (height - 48) * value / top
        bars.append({"x": round(30 + i * slot + slot * 0.1, 1), "y": round(height - 24 - h, 1),
                     "w": round(slot * 0.8, 1), "h": round(h, 1), "label": label, "value": value,
                     "axis": label if i % axis_every == 0 else "", "extra": extra[i] if extra else None,
                     "tx": round(30 + i * slot + slot / 2, 1)})
    target_y = round(height - 24 - (height - 48) * target / top, 1) if target is not None else None
    return {"width": width, "height": height, "bars": bars, "top": top, "base": height - 24, "target_y": target_y}


def _wait_chart(p: rules.Picture) -> dict:
    """The day's wait per half hour of arrival, the CNAF target drawn across (hours under the axis)."""
    return _bars([(s.start, s.mean_wait or 0) for s in p.slots], axis_every=2, target=stats.CNAF_TARGET_MINUTES,
                 extra=[s.arrivals for s in p.slots])


@bp.get("/statistics")
@login_required
@limiter.limit("60 per minute")
@auth.supervisor_only
def statistics():
    fig, form, error, queues, logins = _figures()
    charts = {}
    if fig is not None:
        charts = {
            "hours": _bars([(f"{h:02d}", n) for h, n in fig.arrivals_by_hour.items() if 6 <= h <= 20]),
            "waits": _bars(list(fig.wait_buckets)),
            "satisfaction": _bars([(str(r), n) for r, n in fig.satisfaction.items()]),
        }
    asked, names = [], {}
    if fig is not None:  # « Pièces à fournir »: which documents are asked for, per week and per queue
        with database().session() as s:
            asked = documents.asked(s, site_id=current_user.site_id, start=fig.start, end=fig.end)
            names = {key: document_words(d)[0] for key, d in documents.named(s, current_user.site_id).items()}
    csv_url = url_for("supervision.statistics_csv", **{k: v for k, v in form.items() if v})
    return render_template("agent_console/statistics.html", fig=fig, form=form, error=error, queues=queues,
                           logins=logins, charts=charts, csv_url=csv_url, asked=asked, document_names=names,
                           asked_weeks=sorted({w for a in asked for w in a.weeks}),
                           asked_queues=sorted({q for a in asked for q in a.queues}),
                           target=stats.CNAF_TARGET_MINUTES), (400 if error else 200)


@bp.get("/statistics.csv")
@login_required
@limiter.limit("30 per minute")
@auth.supervisor_only
def statistics_csv():
    fig, form, error, _queues, _logins = _figures()
    if fig is None:
        return Response(error + "\n", status=400, mimetype="text/plain")
    name = f"statistiques-{fig.site}-{fig.start.isoformat()}-{fig.end.isoformat()}.csv"
    return Response(stats.to_csv(fig), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
