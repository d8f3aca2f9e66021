"""Figures for office managers, from the anonymous ticket records kept after the purge.

The CNAF indicator: the share of visits that waited 20 minutes or less, from arrival in the
premises (check-in) to first contact with an agent (the first call), leaving out visitors who
left without contact. A visit is a ticket whose service started; a person who comes twice the
same day makes two visits. Tickets called but never seen (no-show), cancelled or never called
are « partis sans contact ». The figures each ticket needs (local arrival hour, wait to the
first call, first contact, time served) are stamped on it by accueil.history as it moves.
"""
from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, func, select

from accueil.errors import InvalidInput, NotFound
from accueil.i18n import N_
from accueil.lifecycle import NO_SHOW
from accueil.models import Queue, Site, SurveyAnswer, Ticket

CNAF_TARGET_MINUTES = 20
WAIT_BUCKETS = (5, 10, 15, 20, 30, 45, 60)  # upper bounds in minutes; the last bucket is "60 and more"
MAX_DAYS = 400


@dataclass
class Figures:
    site: str
    start: date
    end: date
    queue: str | None
    tickets: int = 0
    visits: int = 0
    within_target: int = 0
    left_without_contact: int = 0
    no_shows: int = 0
    left_before_call: int = 0
    """Visitors who left the queue from their page (« Je pars »): part of those who left without contact."""
    arrivals_by_hour: dict[int, int] = field(default_factory=dict)
    wait_buckets: list[tuple[str, int]] = field(default_factory=list)
    wait_median: float | None = None
    wait_mean: float | None = None
    service_median: float | None = None
    service_mean: float | None = None
    satisfaction: dict[int, int] = field(default_factory=dict)
    by_agent: dict[int, dict] = field(default_factory=dict)
    """Per agent who last served the visit: visits, mean wait and mean service (minutes)."""

    @property
    def share_within_target(self) -> float | None:
        """The CNAF indicator, between 0 and 1 (None when there was no visit)."""
        return self.within_target / self.visits if self.visits else None

    @property
    def satisfaction_mean(self) -> float | None:
        n = sum(self.satisfaction.values())
        return sum(k * v for k, v in self.satisfaction.items()) / n if n else None


def _bucket_label(i: int) -> str:
    low = 0 if i == 0 else WAIT_BUCKETS[i - 1]
    return f"{low}–{WAIT_BUCKETS[i]} min" if i < len(WAIT_BUCKETS) else f"≥ {WAIT_BUCKETS[-1]} min"


def compute(session: Session, *, site_id: int, start: date, end: date, queue_letter: str | None = None) -> Figures:
    """Compute the figures of a site (and optionally one queue) over service days start..end."""
    site = session.get(Site, site_id) if isinstance(site_id, int) else None
    if site is None:
        raise NotFound(N_("Ce site n'existe pas."))
    if not isinstance(start, date) or not isinstance(end, date) or end < start:
        raise InvalidInput(N_("La période n'est pas valide : la fin est avant le début."), field="period")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(N_("La période est trop longue : %(max)s jours au plus."), field="period", max=MAX_DAYS)
    if queue_letter and session.exec(
        select(Queue).where(Queue.site_id == site.id, Queue.letter == queue_letter)
    ).first() is None:
        raise NotFound(N_("Cette file n'existe pas."))
    period = [Ticket.site_id == site.id, Ticket.service_day >= start, Ticket.service_day <= end]
    if queue_letter:
        period.append(Ticket.letter == queue_letter)  # the queue of arrival (a transfer keeps the letter)
    fig = Figures(site=site.slug, start=start, end=end, queue=queue_letter)
    hours = dict(session.exec(select(Ticket.arrival_hour, func.count()).where(*period).group_by(Ticket.arrival_hour)).all())
    fig.arrivals_by_hour = {h: hours.get(h, 0) for h in range(24)}
    fig.tickets = sum(hours.values())
    fig.no_shows = session.exec(select(func.count()).select_from(Ticket).where(*period, Ticket.status == NO_SHOW)).one()
    fig.left_before_call = session.exec(select(func.count()).select_from(Ticket).where(*period, Ticket.left == True)).one()  # noqa: E712
    seen = [*period, col(Ticket.first_started_at).is_not(None)]
    waits = [w / 60 for w in session.exec(select(Ticket.wait_seconds).where(*seen)).all()]
    services = [m / 60 for m in session.exec(
        select(Ticket.service_seconds).where(*seen, col(Ticket.service_seconds).is_not(None))).all()]
    fig.visits = len(waits)
    fig.within_target = sum(1 for w in waits if w <= CNAF_TARGET_MINUTES)
    fig.left_without_contact = fig.tickets - fig.visits
    buckets = Counter(bisect_right(WAIT_BUCKETS, w) for w in waits)
    fig.wait_buckets = [(_bucket_label(i), buckets.get(i, 0)) for i in range(len(WAIT_BUCKETS) + 1)]
    if waits:
        fig.wait_median, fig.wait_mean = statistics.median(waits), statistics.fmean(waits)
    if services:
        fig.service_median, fig.service_mean = statistics.median(services), statistics.fmean(services)
    per_agent = session.exec(
        select(Ticket.agent_id, func.count(), func.avg(Ticket.wait_seconds), func.avg(Ticket.service_seconds))
        .where(*seen, col(Ticket.agent_id).is_not(None)).group_by(Ticket.agent_id)
    ).all()
    fig.by_agent = {
        agent: {"visits": n, "wait_mean": _minutes(wait), "service_mean": _minutes(service)}
        for agent, n, wait, service in per_agent
    }
    answers = select(SurveyAnswer.rating, func.count()).where(
        SurveyAnswer.site_id == site.id, SurveyAnswer.service_day >= start, SurveyAnswer.service_day <= end)
    if queue_letter:
        answers = answers.where(SurveyAnswer.queue_letter == queue_letter)
    counts = dict(session.exec(answers.group_by(SurveyAnswer.rating)).all())
    fig.satisfaction = {r: counts.get(r, 0) for r in range(1, 6)}
    return fig


def rows(fig: Figures) -> list[tuple[str, str, object]]:
    """Return the figures as (table, label, value) rows: the CSV export and the CLI print these."""
    out: list[tuple[str, str, object]] = [
        ("indicateur", "tickets", fig.tickets),
        ("indicateur", "visites", fig.visits),
        ("indicateur", f"visites attendues {CNAF_TARGET_MINUTES} min ou moins", fig.within_target),
        ("indicateur", f"part des visites en {CNAF_TARGET_MINUTES} min ou moins",
         None if fig.share_within_target is None else round(fig.share_within_target, 4)),
        ("indicateur", "partis sans contact", fig.left_without_contact),
        ("indicateur", "absents à l'appel", fig.no_shows),
        ("indicateur", "partis avant l'appel", fig.left_before_call),
        ("indicateur", "attente médiane (min)", _round(fig.wait_median)),
        ("indicateur", "attente moyenne (min)", _round(fig.wait_mean)),
        ("indicateur", "durée médiane d'entretien (min)", _round(fig.service_median)),
        ("indicateur", "durée moyenne d'entretien (min)", _round(fig.service_mean)),
        ("indicateur", "satisfaction moyenne (1 à 5)", _round(fig.satisfaction_mean)),
    ]
    out += [("arrivées par heure", f"{h:02d}h", n) for h, n in fig.arrivals_by_hour.items()]
    out += [("attente", label, n) for label, n in fig.wait_buckets]
    out += [("satisfaction", str(r), n) for r, n in fig.satisfaction.items()]
    return out


def _minutes(seconds) -> float | None:
    return None if seconds is None else round(float(seconds) / 60, 1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def to_csv(fig: Figures) -> str:
    """Return the figures as CSV (`;` separated, for spreadsheets set to French)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["site", "du", "au", "file", "tableau", "mesure", "valeur"])
    for table, label, value in rows(fig):
        writer.writerow([fig.site, fig.start.isoformat(), fig.end.isoformat(), fig.queue or "toutes", table, label,
                         "" if value is None else value])
    return buffer.getvalue()
