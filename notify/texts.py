"""What each message says, in the visitor's language: short, plain, the ticket and the desk, nothing personal.

The French texts keep to the GSM-7 alphabet (no « », no ô…): a message then fits 160
characters instead of 70, and costs one SMS.
"""
from __future__ import annotations

from flask_babel import force_locale, gettext

from accueil.lifecycle import ROUND, call_round
from accueil.models import Notice
from accueil.notices import CALL, DOCUMENTS, NOSHOW, SOON


def _place(notice: Notice) -> str:
    desk = notice.desk or gettext("l'accueil")
    return f"{desk} ({notice.directions})" if notice.directions else desk


def render(notice: Notice) -> tuple[str, str]:
    """Return the message's title (a push notification's) and its text (an SMS), in the notice's language."""
    with force_locale(notice.locale or "fr"):
        if notice.kind == SOON:
            return (gettext("Bientôt votre tour"),
                    gettext("Ticket %(code)s : votre tour arrive. Restez près de la salle d'attente.", code=notice.code))
        if notice.kind == CALL:
            text = gettext("Ticket %(code)s : c'est votre tour. Allez à : %(place)s.", code=notice.code,
                           place=_place(notice))
            if notice.round:
                text = gettext(ROUND, n=call_round(notice.round)) + ". " + text
            return gettext("C'est votre tour"), text
        if notice.kind == DOCUMENTS:
            return (gettext("Vos papiers à fournir"),
                    gettext("Ticket %(code)s : voici la liste des papiers à fournir. %(link)s", code=notice.code,
                            link=notice.link))
        if notice.kind == NOSHOW:
            return (gettext("Vous n'avez pas répondu à l'appel"),
                    gettext("Ticket %(code)s : vous n'avez pas répondu à l'appel. Allez à l'accueil.", code=notice.code))
    raise ValueError(f"unknown notice kind {notice.kind!r}")
