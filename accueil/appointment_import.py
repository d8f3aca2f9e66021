"""Import of the day's (or week's) appointments from the booking system's CSV export.

Format (UTF-8, with or without BOM; `;` or `,` separated; header line required, any
column order, case ignored):

    date;heure;nir;type;agent;bureau;motif
    2026-11-26;09:20;2 95 10 99 126 111 93;guichet;agent.chaumont;;Dossier logement

- date: `AAAA-MM-JJ` or `JJ/MM/AAAA`; heure: `HH:MM` or `HHhMM` (local time of the site);
- nir: the numéro de sécurité sociale (validated, then only its keyed hash is stored);
- type: `guichet` (in person at a desk), `lsf` (in person with sign-language video
  interpretation) or `telephone` (the CAF calls the person back);
- agent (login), bureau (desk name as shown on the display), motif: optional.

Re-importing the same file changes nothing; an appointment is recognised by its site,
time and person. Bad lines are reported with their number and reason and never stored.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Callable, Iterable, Iterator
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from accueil.clock import read_day, utcnow
from accueil.errors import DomainError, InvalidInput, NotFound
from accueil.history import site_changed
from accueil.i18n import N_
from accueil.identity import Vault, validate_nir
from accueil.models import AT_DESK, LSF_VIDEO, PHONE_CALLBACK, Agent, Appointment, Desk, Site

COLUMNS = ("date", "heure", "nir", "type", "agent", "bureau", "motif")
REQUIRED = ("date", "heure", "nir", "type")
KINDS = {
    "guichet": AT_DESK, "desk": AT_DESK, "physique": AT_DESK, "accueil": AT_DESK,
    "lsf": LSF_VIDEO, "visio lsf": LSF_VIDEO, "visio-lsf": LSF_VIDEO,
    "telephone": PHONE_CALLBACK, "téléphone": PHONE_CALLBACK, "phone": PHONE_CALLBACK, "rappel": PHONE_CALLBACK,
}
MAX_REASON = 200
_TIME = re.compile(r"^(\d{1,2})\s*[:hH]\s*(\d{2})$")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, DomainError]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected)


def read_csv(data: bytes | str) -> tuple[int, Iterator[tuple[int, dict]]]:
    """Return the number of data lines and an iterator of (line number, row) from a CSV export."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InvalidInput(N_("Le fichier est vide."), field="file")
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    # newline="": the csv module reads the line breaks itself (a lone \r is one, as old spreadsheets write).
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InvalidInput(N_("Colonnes manquantes dans la première ligne : %(columns)s."), field="file",
                               columns=", ".join(missing))
        # Read whole here (a day's export is small): a file the csv module cannot read is refused
        # before anything is stored, not halfway through.
        rows = [(reader.line_num, {k: (values[i].strip() if i < len(values) else "") for i, k in enumerate(header)})
                for values in reader if any(v.strip() for v in values)]
    except csv.Error:
        raise InvalidInput(N_("Ce fichier n'est pas un tableau CSV lisible. Enregistrez-le à nouveau en CSV."),
                           field="file") from None
    count = sum(1 for line in lines[1:] if line.strip())
    return count, iter(rows)


def _parse_day(value: str) -> date:
    day = read_day(value)
    if day is None:
        raise InvalidInput(N_("Date illisible : écrivez AAAA-MM-JJ ou JJ/MM/AAAA."), field="date")
    return day


def _parse_time(value: str) -> time:
    match = _TIME.match(value)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise InvalidInput(N_("Heure illisible : écrivez HH:MM."), field="heure")
    return time(int(match.group(1)), int(match.group(2)))


class _Lookups:
    """Agents and desks of the site, by login and by name, loaded once."""

    def __init__(self, session: Session, site_id: int) -> None:
        self.agents = {a.login: a.id for a in session.exec(select(Agent).where(Agent.site_id == site_id)).all()}
        self.desks = {d.name.lower(): d.id for d in session.exec(select(Desk).where(Desk.site_id == site_id)).all()}

    def agent(self, login: str) -> int | None:
        if not login:
            return None
        if login.lower() not in self.agents:
            raise NotFound(N_("Agent inconnu sur ce site : %(login)s."), login=login[:60])
        return self.agents[login.lower()]

    def desk(self, name: str) -> int | None:
        if not name:
            return None
        if name.lower() not in self.desks:
            raise NotFound(N_("Bureau inconnu sur ce site : %(desk)s."), desk=name[:40])
        return self.desks[name.lower()]


def import_appointments(
    session: Session,
    vault: Vault,
    *,
    site_id: int,
    rows: Iterable[tuple[int, dict]],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Create or update the appointments of *rows*; report every line that cannot be stored."""
    site = session.get(Site, site_id) if isinstance(site_id, int) else None
    if site is None:
        raise NotFound(N_("Ce site n'existe pas."))
    tz = ZoneInfo(site.timezone)
    lookups = _Lookups(session, site.id)
    report = ImportReport()
    parsed: list[tuple[int, dict]] = []
    for line, row in rows:
        try:
            day = _parse_day(row.get("date", ""))
            at = datetime.combine(day, _parse_time(row.get("heure", "")), tzinfo=tz)
            kind = KINDS.get(row.get("type", "").strip().lower())
            if kind is None:
                raise InvalidInput(N_("Type inconnu : guichet, lsf ou telephone."), field="type")
            parsed.append((line, {
                "service_day": day,
                "at": at,
                "nir_hash": vault.hash_nir(validate_nir(row.get("nir", ""))),
                "kind": kind,
                "agent_id": lookups.agent(row.get("agent", "")),
                "desk_id": lookups.desk(row.get("bureau", "")),
                "reason": (row.get("motif") or "")[:MAX_REASON] or None,
            }))
        except DomainError as err:
            report.rejected.append((line, err))
        if progress:
            progress(1)

    days = {values["service_day"] for _, values in parsed}
    existing = {
        (a.at, a.nir_hash): a
        for a in session.exec(
            select(Appointment).where(Appointment.site_id == site.id, col(Appointment.service_day).in_(days))
        ).all()
    } if days else {}
    for _line, values in parsed:
        key = (values["at"], values["nir_hash"])
        current = existing.get(key)
        if current is None:
            current = Appointment(site_id=site.id, **values)
            session.add(current)
            existing[key] = current
            report.created += 1
        elif any(getattr(current, k) != v for k, v in values.items() if k not in ("at", "nir_hash", "service_day")):
            for k, v in values.items():
                setattr(current, k, v)
            session.add(current)
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    if report.created or report.updated:  # consoles and the day's list resync, whatever process imported
        site_changed(session, site.id, utcnow(), kind="appointments")
    return report
