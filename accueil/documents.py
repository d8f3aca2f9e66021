"""« Pièces à fournir »: the catalogue of supporting documents and the lists agents give visitors.

An agent ticks the documents a visitor must provide, may add a date and, per document, a phrase chosen from a
fixed set (never free text about the person), and gives the list: the visitor's ticket page shows it at once and
its own link (a random secret) keeps it for ``site.documents_days`` days. A list names nobody: it holds document
kinds, dates and phrase keys. The ticket points to it only until the day's personal data is erased; then only the
visitor's link leads to it, and once that expires the list stays, without its secret, for the statistics.
"""
from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy import update
from sqlmodel import Session, col, select

from accueil import notices
from accueil.clock import as_utc, read_day, service_day
from accueil.errors import InvalidInput, NotFound
from accueil.events import TicketEvent, record
from accueil.history import bump_version
from accueil.i18n import N_
from accueil.ids import row_id
from accueil.models import Checklist, ChecklistItem, DocumentKind, Queue, Site, Ticket
from accueil.text import read_text


@dataclass(frozen=True)
class Document:
    """A kind of document: its short name and one-line description (French, easy to read) and its pictogram (the
    name of an icon of the npm package @tabler/icons). The network's are translated; a site's own (*own*) are shown
    as its supervisor wrote them."""

    key: str
    name: str
    description: str
    pictogram: str
    own: bool = False


CATALOGUE: tuple[Document, ...] = (
    Document("avis-impot", N_("Avis d'impôt"),
             N_("Le papier des impôts de l'année dernière, avec votre revenu."), "receipt-tax"),
    Document("rib", N_("Relevé d'identité bancaire"),
             N_("Le papier de votre banque avec le numéro de votre compte."), "building-bank"),
    Document("fiches-paie", N_("Fiches de paie"),
             N_("Le papier de votre employeur avec votre salaire du mois."), "cash-banknote"),
    Document("attestation-employeur", N_("Attestation de l'employeur"),
             N_("Un papier signé par votre employeur : vous travaillez chez lui."), "briefcase"),
    Document("quittance-loyer", N_("Quittance de loyer"),
             N_("Le papier du propriétaire : vous avez payé le loyer."), "receipt"),
    Document("attestation-loyer", N_("Attestation de loyer"),
             N_("Le papier de la Caf rempli et signé par votre propriétaire."), "building-estate"),
    Document("bail", N_("Contrat de location"),
             N_("Le contrat signé avec votre propriétaire pour votre logement."), "writing-sign"),
    Document("justificatif-domicile", N_("Justificatif de domicile"),
             N_("Une facture d'électricité, de gaz ou d'eau avec votre adresse."), "home-check"),
    Document("piece-identite", N_("Pièce d'identité"),
             N_("Votre carte d'identité ou votre passeport."), "id"),
    Document("titre-sejour", N_("Titre de séjour"),
             N_("La carte qui vous donne le droit de vivre en France."), "id-badge-2"),
    Document("acte-naissance", N_("Acte de naissance"),
             N_("Le papier de la mairie : le jour et le lieu de naissance."), "baby-carriage"),
    Document("livret-famille", N_("Livret de famille"),
             N_("Le petit livre de la mairie, avec les parents et les enfants."), "book"),
    Document("acte-deces", N_("Acte de décès"),
             N_("Le papier de la mairie quand une personne est morte."), "heart-broken"),
    Document("jugement-separation", N_("Jugement de divorce ou de séparation"),
             N_("La décision du juge : la garde des enfants et la pension."), "gavel"),
    Document("certificat-scolarite", N_("Certificat de scolarité"),
             N_("Le papier de l'école : votre enfant va dans cette école."), "school"),
    Document("contrat-apprentissage", N_("Contrat d'apprentissage ou de stage"),
             N_("Le contrat signé avec l'entreprise ou l'école."), "certificate"),
    Document("attestation-france-travail", N_("Attestation de France Travail"),
             N_("Le papier de France Travail avec l'argent du chômage."), "report-money"),
    Document("indemnites-maladie", N_("Attestation de l'Assurance maladie"),
             N_("L'argent reçu de l'Assurance maladie pendant un arrêt de travail."), "building-hospital"),
    Document("declaration-grossesse", N_("Déclaration de grossesse"),
             N_("Le papier rempli par le médecin ou la sage-femme."), "stethoscope"),
    Document("decision-handicap", N_("Décision sur le handicap"),
             N_("La lettre qui dit votre taux de handicap."), "wheelchair"),
    Document("attestation-retraite", N_("Attestation de retraite ou de pension"),
             N_("Le papier qui dit combien vous recevez chaque mois."), "coin-euro"),
    Document("releves-compte", N_("Relevés de compte"),
             N_("Les papiers de la banque : l'argent qui entre et qui sort."), "currency-euro"),
    Document("revenus-independant", N_("Revenus de travailleur indépendant"),
             N_("L'argent gagné par votre entreprise pendant les derniers mois."), "file-euro"),
    Document("facture-ehpad", N_("Facture de la maison de retraite"),
             N_("La facture du lieu où vit la personne âgée."), "old"),
    Document("attestation-garde", N_("Attestation de garde d'enfant"),
             N_("Le papier de la crèche ou de l'assistante maternelle."), "baby-bottle"),
)
NETWORK = {d.key: d for d in CATALOGUE}

PICTOGRAMS: tuple[str, ...] = tuple(sorted({d.pictogram for d in CATALOGUE} | {"file-text", "file-description",
                                                                                 "mail", "license"}))
"""The pictograms a site's own document may take."""

PHRASES: dict[str, str] = {
    "copie": N_("Une photocopie suffit."),
    "original": N_("Apportez l'original."),
    "chaque-personne": N_("Pour chaque personne de votre famille."),
    "3-mois": N_("Ceux des 3 derniers mois."),
    "annee-derniere": N_("Celui de l'année dernière."),
    "recto-verso": N_("Le devant et le dos."),
    "signe": N_("Avec votre signature."),
}
"""What an agent may add to a document: these phrases only, so that nothing about the person is ever written."""

HOW_TO_SEND = N_("Envoyez vos papiers depuis votre compte sur caf.fr. Vous pouvez aussi les déposer à l'accueil.")
"""How to send the documents, when the site has not written its own words (``site.documents_how``)."""

SECRET = re.compile(r"[A-Za-z0-9_-]{20,43}")
"""What a list's link secret can be (secrets.token_urlsafe): anything else is read as no list, never looked up."""
OWN_KEY = re.compile(r"site-[0-9]{1,6}")
MAX_OWN = 20
MAX_DUE_DAYS = 366
DOCUMENT_EVENT = "documents"
"""The kind of the event that tells the visitor's page a list was given (accueil.events.TicketEvent)."""


def _changes(session: Session, site_id: int) -> list[DocumentKind]:
    return session.exec(select(DocumentKind).where(DocumentKind.site_id == site_id).order_by(DocumentKind.id)).all()


def _own(change: DocumentKind) -> Document:
    return Document(change.key, change.name or "", change.description or "", change.pictogram or "file-text", own=True)


def site_catalogue(session: Session, site_id: int) -> list[Document]:
    """Return the documents a site's agents can ask for: the network's not hidden there, then the site's own."""
    changes = _changes(session, site_id)
    hidden = {c.key for c in changes if c.hidden}
    return [d for d in CATALOGUE if d.key not in hidden] + [_own(c) for c in changes
                                                              if c.key not in NETWORK and not c.hidden]


def named(session: Session, site_id: int) -> dict[str, Document]:
    """Every document a list of the site may name, by key: the network's and the site's own, removed ones too
    (lists already given still name them)."""
    return NETWORK | {c.key: _own(c) for c in _changes(session, site_id) if c.key not in NETWORK}


def hidden_keys(session: Session, site_id: int) -> set[str]:
    """The network's documents a site has hidden from its agents."""
    return set(session.exec(select(DocumentKind.key).where(DocumentKind.site_id == site_id,
                                                           DocumentKind.hidden == True)).all())  # noqa: E712


@dataclass(frozen=True)
class Request:
    """What an agent asks for, read: each document with its phrase (or None), in the catalogue's order."""

    items: tuple[tuple[str, str | None], ...]
    due_on: date | None


def read_request(keys: list[object], phrases: dict[str, object], due: object, *, offered: list[Document],
                 today: date) -> Request:
    """Read the agent's form: the ticked *keys*, a phrase per key, the due date; raise InvalidInput naming the
    field for a document not offered, a phrase that does not exist, no document, a date past or too far."""
    known = {d.key for d in offered}
    ticked = set()
    for key in keys:
        if not isinstance(key, str) or key not in known:
            raise InvalidInput(N_("Ce papier n'est pas dans la liste."), field="documents")
        ticked.add(key)
    if not ticked:
        raise InvalidInput(N_("Cochez au moins un papier."), field="documents")
    items = []
    for document in offered:
        if document.key in ticked:
            phrase = phrases.get(document.key) or None
            if phrase is not None and phrase not in PHRASES:
                raise InvalidInput(N_("Cette précision n'existe pas."), field=f"phrase-{document.key}")
            items.append((document.key, phrase))
    due_on = read_day(due, field="due_on")
    if due_on is not None and due_on < today:
        raise InvalidInput(N_("Cette date est déjà passée. Choisissez un jour à venir."), field="due_on")
    if due_on is not None and due_on > today + timedelta(days=MAX_DUE_DAYS):
        raise InvalidInput(N_("Cette date est trop loin : un an au plus."), field="due_on")
    return Request(tuple(items), due_on)


def ticket_for_list(session: Session, *, site_id: int, ticket_id: object, now: datetime) -> Ticket:
    """Return the ticket a list may be given to: one of the site's tickets of today; NotFound for any other, and
    for an id no row can have."""
    site = session.get(Site, site_id) if row_id(site_id) else None
    ticket = session.get(Ticket, ticket_id) if row_id(ticket_id) else None
    if ticket is None or site is None or ticket.site_id != site_id or ticket.service_day != service_day(now, site.timezone):
        raise NotFound(N_("Ce ticket n'existe pas."))
    return ticket


def give(session: Session, *, site_id: int, ticket_id: int, request: Request, now: datetime,
         link: Callable[[str], str] | None = None) -> Checklist:
    """Give *request* to the visitor of the ticket: a new list with its link, shown on the ticket's page at once
    (an event after commit), and the message with its link when the visitor chose SMS or push (*link* turns a
    secret into the list's address). Today's tickets of the site only (``ticket_for_list``)."""
    now = as_utc(now)
    ticket = ticket_for_list(session, site_id=site_id, ticket_id=ticket_id, now=now)
    site = session.get(Site, site_id)
    checklist = Checklist(secret=secrets.token_urlsafe(32), site_id=site_id, queue_id=ticket.queue_id,
                          service_day=ticket.service_day, created_at=now,
                          expires_at=now + timedelta(days=site.documents_days), due_on=request.due_on)
    session.add(checklist)
    session.flush()
    session.add_all(ChecklistItem(checklist_id=checklist.id, position=i, key=key, phrase=phrase)
                    for i, (key, phrase) in enumerate(request.items))
    ticket.checklist = checklist.secret
    version = bump_version(session, site_id)
    record(session, TicketEvent(kind=DOCUMENT_EVENT, site_id=site_id, version=version, ticket_id=ticket.id,
                                public_id=ticket.public_id, code=ticket.code, status=ticket.status,
                                queue_id=ticket.queue_id, desk_id=ticket.desk_id, at=now))
    if link is not None:
        notices.on_documents(session, ticket, link(checklist.secret), now=now)
    return checklist


@dataclass(frozen=True)
class Given:
    """A list as its visitor sees it: the documents with their phrase keys, the date, the site's words."""

    secret: str
    site_id: int
    items: tuple[tuple[Document, str | None], ...]
    due_on: date | None
    expires_at: datetime
    how: str | None
    """How to send the documents as the site wrote it; None: the product's words (HOW_TO_SEND), translated."""


def given(session: Session, secret: object, *, now: datetime) -> Given | None:
    """Return the list whose link secret is *secret*, None if there is none or it has expired."""
    if not isinstance(secret, str) or not SECRET.fullmatch(secret):
        return None
    checklist = session.exec(select(Checklist).where(Checklist.secret == secret)).first()
    if checklist is None or as_utc(checklist.expires_at) <= as_utc(now):
        return None
    site = session.get(Site, checklist.site_id)
    known = named(session, checklist.site_id)
    items = [(known[item.key], item.phrase)
             for item in session.exec(select(ChecklistItem).where(ChecklistItem.checklist_id == checklist.id)
                                      .order_by(ChecklistItem.position)).all() if item.key in known]
    return Given(secret, checklist.site_id, tuple(items), checklist.due_on, checklist.expires_at,
                 site.documents_how if site else None)


def add_own(session: Session, *, site_id: int, name: object, description: object, pictogram: object) -> DocumentKind:
    """Add a document of the site's own to its catalogue (a name and a line in French, a pictogram of the set)."""
    name = read_text(name, field="name", limit=80)
    if not name:
        raise InvalidInput(N_("Écrivez un nom."), field="name")
    description = read_text(description, field="description", limit=160)
    if pictogram not in PICTOGRAMS:
        raise InvalidInput(N_("Choisissez une image dans la liste."), field="pictogram")
    own = session.exec(select(DocumentKind).where(DocumentKind.site_id == site_id,
                                                  col(DocumentKind.key).like("site-%"))).all()
    if len(own) >= MAX_OWN:
        raise InvalidInput(N_("%(max)s papiers propres au site au plus : enlevez-en un d'abord."), field="name",
                           max=MAX_OWN)
    number = 1 + max((int(c.key[5:]) for c in own if c.key[5:].isdigit()), default=0)
    kind = DocumentKind(site_id=site_id, key=f"site-{number}", name=name, description=description or None,
                        pictogram=pictogram)
    session.add(kind)
    session.flush()
    return kind


def set_hidden(session: Session, *, site_id: int, key: object, hidden: bool) -> None:
    """Hide one of the network's documents or of the site's own from the site's agents, or show it again (a hidden
    one of the site's own stays for the lists already given, which still name it)."""
    if key in NETWORK:
        change = session.exec(select(DocumentKind).where(DocumentKind.site_id == site_id,
                                                         DocumentKind.key == key)).first()
        if change is None:
            change = DocumentKind(site_id=site_id, key=key)
        change.hidden = hidden
        session.add(change)
        return
    own = session.exec(select(DocumentKind).where(DocumentKind.site_id == site_id, DocumentKind.key == key)).first() \
        if isinstance(key, str) and OWN_KEY.fullmatch(key) else None
    if own is None:
        raise NotFound(N_("Ce papier n'est pas dans la liste."))
    own.hidden = hidden
    session.add(own)


def set_how(session: Session, *, site_id: int, how: object, days: object) -> None:
    """Set how the site's visitors send their documents ("" : the product's words) and how long a list lasts."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(N_("Ce site n'existe pas."))
    text = read_text(how, field="documents_how", limit=400, lines=True)
    if not isinstance(days, str) or not days.strip().isascii() or not days.strip().isdigit() \
            or not 1 <= int(days.strip()) <= 365:
        raise InvalidInput(N_("Écrivez un nombre entier entre %(low)s et %(high)s."), field="documents_days",
                           low=1, high=365)
    site.documents_how = text or None
    site.documents_days = int(days.strip())
    session.add(site)


def expire(session: Session, *, now: datetime) -> int:
    """Erase the secret of every list whose time is up (its link no longer leads anywhere); return how many."""
    return session.execute(update(Checklist).where(col(Checklist.secret).is_not(None),
                                                   Checklist.expires_at <= as_utc(now))
                           .values(secret=None)).rowcount


@dataclass(frozen=True)
class Asked:
    """How often a document was asked for in a period, per week (its Monday) and per queue's letter."""

    key: str
    total: int
    weeks: dict[date, int]
    queues: dict[str, int]


def asked(session: Session, *, site_id: int, start: date, end: date) -> list[Asked]:
    """Return the documents asked for at the site from *start* to *end* (service days), most asked first."""
    rows = session.exec(select(ChecklistItem.key, Checklist.service_day, Queue.letter)
                        .join(Checklist, Checklist.id == ChecklistItem.checklist_id)
                        .join(Queue, Queue.id == Checklist.queue_id, isouter=True)
                        .where(Checklist.site_id == site_id, Checklist.service_day >= start,
                               Checklist.service_day <= end)).all()
    totals: Counter = Counter()
    weeks: dict[str, Counter] = {}
    queues: dict[str, Counter] = {}
    for key, day, letter in rows:
        totals[key] += 1
        weeks.setdefault(key, Counter())[day - timedelta(days=day.weekday())] += 1
        queues.setdefault(key, Counter())[letter or "?"] += 1
    return [Asked(key, n, dict(sorted(weeks[key].items())), dict(sorted(queues[key].items())))
            for key, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
