"""The one-question satisfaction survey at the end of a visit, stored linked to nobody."""
from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlmodel import Session

from accueil.errors import DomainError, InvalidInput
from accueil.i18n import N_
from accueil.lifecycle import DONE
from accueil.models import SurveyAnswer, Ticket
from accueil.text import read_text

MAX_COMMENT = 1000


class AlreadyAnswered(DomainError):
    """The ticket's survey is answered already (from this phone or any other)."""

    code = "already_answered"
    message_id = N_("Merci, votre avis est déjà enregistré.")


# Taken by one request only, whatever the engine: the flag goes from false to true once.
_MARK = (update(Ticket).where(Ticket.id == bindparam("ticket"), Ticket.surveyed.is_(False))
         .values(surveyed=True))


def answer(session: Session, ticket: Ticket, *, rating: object, comment: str | None) -> SurveyAnswer:
    """Store a rating (1 to 5) and an optional comment about the finished visit of *ticket*.

    The answer keeps the site, the day and the queue letter only: never the ticket, so
    it cannot be traced back to the visitor or their number. The ticket only records that
    it was answered: a second answer, from any phone, raises AlreadyAnswered.
    """
    if ticket.status != DONE:
        raise InvalidInput(N_("Vous pourrez donner votre avis à la fin de votre visite."), field="rating")
    if isinstance(rating, str) and rating.isascii() and rating.isdigit():
        rating = int(rating)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput(N_("Choisissez une note de 1 à 5."), field="rating")
    comment = read_text(comment, field="comment", limit=MAX_COMMENT, lines=True)
    if session.connection().execute(_MARK, {"ticket": ticket.id}).rowcount != 1:
        raise AlreadyAnswered()
    row = SurveyAnswer(site_id=ticket.site_id, service_day=ticket.service_day, queue_letter=ticket.letter,
                       rating=rating, comment=comment or None)
    session.add(row)
    session.flush()
    return row
