"""Demo data for the two first offices: Chaumont and Saint-Dizier (idempotent)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from accueil.agents import add_agent
from accueil.clock import as_utc, service_day
from accueil.identity import Vault
from accueil.models import (
    APPOINTMENT,
    DESKS,
    WALK_IN,
    ZONE,
    Agent,
    Appointment,
    Desk,
    DeskQueue,
    DisplayMessage,
    Queue,
    Site,
)

SITES = (
    ("chaumont", "Caf de la Haute-Marne — Chaumont", 6, ("Bureau 1", "Bureau 2", "Bureau 3")),
    ("saint-dizier", "Caf de la Haute-Marne — Saint-Dizier", 4, ("Bureau 1", "Bureau 2")),
)
ZONE_DESK = "Espace numérique"
DIRECTIONS = {"Bureau 1": "Rez-de-chaussée, à gauche", "Bureau 2": "Rez-de-chaussée, à droite",
              "Bureau 3": "1er étage", ZONE_DESK: "Au fond de la salle d'attente"}
# Valid test numbers (python-stdnum's and the CNAM's own test vectors), never real people.
DEMO_APPOINTMENT_NIRS = {
    "chaumont": ("295109912611193", "255081416802538"),
    "saint-dizier": ("253072A07300443",),
}


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # site, login, password, role


def demo_password(slug: str, role: str) -> str:
    """Return the demo password of a site's agent or supervisor (printed by `make run`)."""
    return f"demo-{role}-{slug}"


def _get_or_add(session: Session, report: DemoReport, model, label: str, defaults: dict | None = None, **where):
    row = session.exec(select(model).where(*(getattr(model, k) == v for k, v in where.items()))).first()
    if row is None:
        row = model(**where, **(defaults or {}))
        session.add(row)
        session.flush()
        report.created.append(label)
    return row


DEMO_MESSAGES = (
    ("Prenez rendez-vous par téléphone au 3230, ou sur caf.fr.", None),
    ("Votre compte Caf sur votre téléphone : l'appli Caf - Mon Compte.", "https://www.caf.fr"),
)
"""What the demo's waiting-room screens show in turn while nobody is called."""


def load_demo(session: Session, vault: Vault, *, now: datetime) -> DemoReport:
    """Create what is missing of the demo sites, queues, desks, agents and today's appointments."""
    report = DemoReport()
    now = as_utc(now)
    for slug, name, seats, desk_names in SITES:
        site = session.exec(select(Site).where(Site.slug == slug)).first()
        if site is None:
            site = Site(slug=slug, name=name)
            session.add(site)
            session.flush()
            report.created.append(f"site {slug}")
        rdv = _get_or_add(session, report, Queue, f"{slug}: file R", site_id=site.id, letter="R",
                          defaults=dict(name="Rendez-vous", kind=DESKS, purpose=APPOINTMENT))
        num = _get_or_add(session, report, Queue, f"{slug}: file N", site_id=site.id, letter="N",
                          defaults=dict(name="Espace numérique", kind=ZONE, seats=seats, purpose=WALK_IN))
        for desk_name, queue in [(d, rdv) for d in desk_names] + [(ZONE_DESK, num)]:
            desk = _get_or_add(session, report, Desk, f"{slug}: {desk_name}", site_id=site.id, name=desk_name,
                               defaults=dict(directions=DIRECTIONS.get(desk_name)))
            _get_or_add(session, report, DeskQueue, f"{slug}: {desk_name} → {queue.letter}",
                        desk_id=desk.id, queue_id=queue.id)
        for role, supervisor in (("agent", False), ("superviseur", True)):
            login = f"{role}.{slug}"
            password = demo_password(slug, role)
            if session.exec(select(Agent).where(Agent.login == login)).first() is None:
                add_agent(session, login=login, site_id=site.id, password=password, supervisor=supervisor)
                report.created.append(f"{slug}: {login}")
            report.logins.append((slug, login, password, role))
        for text, link in DEMO_MESSAGES:
            _get_or_add(session, report, DisplayMessage, f"{slug}: message « {text[:20]}… »", site_id=site.id,
                        text=text, defaults=dict(link=link))
        day = service_day(now, site.timezone)
        if session.exec(select(Appointment).where(Appointment.site_id == site.id,
                                                  Appointment.service_day == day)).first() is None:
            slot = now.replace(second=0, microsecond=0) + timedelta(minutes=15 - now.minute % 15)
            for i, nir in enumerate(DEMO_APPOINTMENT_NIRS[slug]):
                session.add(Appointment(site_id=site.id, service_day=day, at=slot + timedelta(minutes=20 * i),
                                        nir_hash=vault.hash_nir(nir), reason="Démonstration"))
            report.created.append(f"{slug}: rendez-vous du jour")
    session.flush()
    return report


def load_history(session: Session, *, now: datetime, weeks: int = 4, seed: int = 7) -> int:
    """Add past working days of anonymous visits to the demo sites, so the statistics have something to show.

    The tickets are what a purge leaves (no NIR, no phone) with their figures: a morning rush, waits
    that sometimes pass 20 minutes, some visitors absent when called, survey answers. Days that already
    have tickets are left alone. Return the number of tickets added.
    """
    import random
    import secrets

    from accueil.clock import local_hour
    from accueil.lifecycle import DONE, NO_SHOW
    from accueil.models import SurveyAnswer, Ticket

    rnd = random.Random(seed)
    added = 0
    today = service_day(now)
    for slug, *_ in SITES:
        site = session.exec(select(Site).where(Site.slug == slug)).first()
        if site is None:
            continue
        queues = session.exec(select(Queue).where(Queue.site_id == site.id).order_by(Queue.letter)).all()
        agents = session.exec(select(Agent.id).where(Agent.site_id == site.id)).all()
        desks = {q.id: session.exec(select(DeskQueue.desk_id).where(DeskQueue.queue_id == q.id)).all() for q in queues}
        for back in range(weeks * 7, 0, -1):
            day = today - timedelta(days=back)
            if day.weekday() >= 5 or session.exec(select(Ticket.id).where(
                    Ticket.site_id == site.id, Ticket.service_day == day)).first() is not None:
                continue
            opening = datetime(day.year, day.month, day.day, 8, 30, tzinfo=ZoneInfo(site.timezone))
            for queue in queues:
                for number in range(1, rnd.randint(18, 40) + 1):
                    # Most people come in the first two hours, some after lunch.
                    minutes = rnd.triangular(0, 180, 20) if rnd.random() < 0.75 else rnd.uniform(300, 450)
                    arrived = as_utc(opening + timedelta(minutes=minutes))
                    wait = timedelta(minutes=rnd.expovariate(1 / 12))
                    absent = rnd.random() < 0.06
                    service = timedelta(minutes=rnd.uniform(6, 25))
                    ticket = Ticket(
                        public_id=secrets.token_urlsafe(24), site_id=site.id, service_day=day, letter=queue.letter,
                        number=number, queue_id=queue.id, status=NO_SHOW if absent else DONE, channel="self",
                        arrived_at=arrived, queued_at=arrived, due_at=arrived, called_at=arrived + wait,
                        arrival_hour=local_hour(arrived, site.timezone), first_called_at=arrived + wait,
                        wait_seconds=round(wait.total_seconds()), purged_at=as_utc(now),
                        desk_id=rnd.choice(desks[queue.id]) if desks[queue.id] else None,
                        agent_id=None if absent or not agents else rnd.choice(agents),
                    )
                    if not absent:
                        ticket.started_at = ticket.first_started_at = arrived + wait
                        ticket.finished_at = arrived + wait + service
                        ticket.service_seconds = round(service.total_seconds())
                    session.add(ticket)
                    added += 1
                    if not absent and rnd.random() < 0.2:
                        session.add(SurveyAnswer(site_id=site.id, service_day=day, queue_letter=queue.letter,
                                                 rating=rnd.choices((1, 2, 3, 4, 5), (1, 1, 3, 8, 10))[0]))
                    if not absent and rnd.random() < 0.25:  # asked for documents (« Pièces à fournir »)
                        _past_checklist(session, rnd, site.id, queue.id, day, ticket.finished_at)
    session.flush()
    return added


def _past_checklist(session: Session, rnd, site_id: int, queue_id: int, day, at: datetime) -> None:
    """A list of documents given on a past day, as the purge leaves it once expired: no link, the figures."""
    from accueil.documents import CATALOGUE
    from accueil.models import Checklist, ChecklistItem

    # The documents that letters most often leave people unsure about come first, and most often.
    weights = [max(1, 12 - i) for i in range(len(CATALOGUE))]
    keys = {rnd.choices(CATALOGUE, weights)[0].key for _ in range(rnd.randint(1, 4))}
    checklist = Checklist(site_id=site_id, queue_id=queue_id, service_day=day, created_at=at, expires_at=at)
    session.add(checklist)
    session.flush()
    session.add_all(ChecklistItem(checklist_id=checklist.id, position=i, key=key) for i, key in enumerate(sorted(keys)))
