"""Reveal a ticket's social-security number to an agent, and record who saw it, when.

Who may see it: an agent, the number of the visitor in hand at the desk they hold (called
or being received: the person in front of them); a supervisor, any ticket of their site
(identifying someone, fixing a mistake). Never another site's. The number is returned to
the caller and never logged; the NirReveal row holds no personal data.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from accueil.clock import as_utc
from accueil.desks import held_by
from accueil.errors import DomainError, NotFound
from accueil.i18n import N_
from accueil.identity import Vault, format_nir
from accueil.models import SUPERVISOR, Agent, NirReveal
from accueil.tickets import IN_HAND, get_ticket


class NotInHand(DomainError):
    """An agent asked for the number of someone they are not receiving."""

    code = "not_in_hand"
    message_id = N_("Vous voyez le numéro de la personne que vous recevez seulement.")


def reveal_nir(session: Session, vault: Vault, *, site_id: int, ticket_id: int, agent_id: int,
               now: datetime) -> str:
    """Return the ticket's NIR in readable groups, after recording the reveal."""
    now = as_utc(now)
    agent = session.get(Agent, agent_id) if isinstance(agent_id, int) else None
    if agent is None or not agent.active or agent.site_id != site_id:
        raise NotFound(N_("Ce ticket n'existe pas."))
    ticket = get_ticket(session, site_id, ticket_id)
    if agent.role != SUPERVISOR:
        desk = held_by(session, agent.id)
        if desk is None or ticket.status not in IN_HAND or ticket.desk_id != desk.id:
            raise NotInHand()
    if ticket.nir_enc is None:
        raise NotFound(N_("Ce ticket n'a pas de numéro de sécurité sociale."))
    nir = format_nir(vault.decrypt(ticket.nir_enc))
    session.add(NirReveal(ticket_id=ticket.id, agent_id=agent.id, at=now))
    session.flush()
    return nir
