"""The visitor's live ticket page: one room per ticket, keyed by the ticket's secret link.

Only a phone holding an active ticket's link connects. On connect (and on the phone's
request) it gets its ticket's public status with the site's version. For each batch of a
site's events, every phone of that site on this process whose status changed gets it
again, computed from the site's state read once for the batch (``accueil.audiences``):
the cost of an event does not grow with the number of phones beyond sending. A ticket that
ends (finished, absent, cancelled) gets its last status, then its sockets are closed.
"""
from __future__ import annotations

from flask import Flask
from flask_socketio import SocketIO
from sqlmodel import col, select

from accueil.audiences import phone_fields, phone_snapshot
from accueil.clock import utcnow
from accueil.events import TicketEvent
from accueil.lifecycle import ACTIVE
from accueil.models import Appointment, Ticket
from accueil.waiting import ticket_by_public_id
from web.context import database
from web.realtime import Admission, Client, LiveNamespace

NAMESPACE = "/ticket"
PREFIX = "ticket:"
YIELD_EVERY = 200


class TicketNamespace(LiveNamespace):
    """Phones showing a ticket page; auth = {"ticket": <the ticket's link secret>}."""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self._sent: dict[str, dict] = {}  # ticket link -> the status last sent to its phones

    def admit(self, auth: dict) -> Admission | None:
        with database().session() as s:
            ticket = ticket_by_public_id(s, auth.get("ticket"))
        if ticket is None or ticket.status not in ACTIVE:
            return None
        room = PREFIX + ticket.public_id
        return Admission(ticket.site_id, room, room, {"ticket": ticket.public_id})

    def snapshot(self, client: Client) -> dict:
        with database().session() as s:
            status = phone_snapshot(s, client.info["ticket"], now=utcnow(), cache=self.dispatcher.cache)
        return status if status is not None else {"v": 0, "status": "gone"}

    def left(self, client: Client) -> None:
        if not self.party_sids(client.party):
            self._sent.pop(client.info["ticket"], None)

    def deliver(self, batch, state) -> None:
        """First the phones this batch is about (the one called hears it before anyone else)."""
        links = {c.info["ticket"] for c in self.clients_of(batch.site_id)}
        touched = {e.public_id for e in batch.events if isinstance(e, TicketEvent)} & links
        self._send(touched, batch, state)

    def deliver_rest(self, batch, state) -> None:
        """Then every other phone of the site whose position or estimate moved."""
        links = {c.info["ticket"] for c in self.clients_of(batch.site_id)}
        touched = {e.public_id for e in batch.events if isinstance(e, TicketEvent)}
        self._send(links - touched, batch, state)

    def _send(self, links: set[str], batch, state) -> None:
        if not links:
            return
        ended = self._ended(links, batch)
        for i, link in enumerate(links):
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                self.socketio.sleep(0)  # let requests in between: a big waiting room must not hold the loop
            ticket = state.by_public_id.get(link)
            if ticket is not None:
                fields = phone_fields(state, ticket, state.appointments.get(ticket.id))
            elif link in ended:
                fields = phone_fields(state, *ended[link])
            else:
                continue  # not active at this version, and not in this batch: nothing new for it
            if self._sent.get(link) == fields:
                continue
            self._sent[link] = fields
            self.send_to(PREFIX + link, "event", {"v": state.version, **fields})
            if fields["status"] not in ACTIVE:
                self.cut_party(PREFIX + link)  # after its last status: nothing more will come

    def _ended(self, links: set[str], batch) -> dict[str, tuple[Ticket, Appointment | None]]:
        """The tickets of this batch that have a phone here and are no longer active, read again."""
        touched = {e.public_id for e in batch.events if isinstance(e, TicketEvent) and e.status not in ACTIVE}
        wanted = touched & links
        if not wanted:
            return {}
        with database().session() as s:
            rows = s.exec(select(Ticket, Appointment)
                          .join(Appointment, Appointment.id == Ticket.appointment_id, isouter=True)
                          .where(col(Ticket.public_id).in_(wanted))).all()
        return {t.public_id: (t, a) for t, a in rows}


def init_app(app: Flask, socketio: SocketIO) -> TicketNamespace:
    namespace = TicketNamespace(NAMESPACE)
    socketio.on_namespace(namespace)
    app.extensions["accueil.dispatcher"].register(namespace)
    return namespace
