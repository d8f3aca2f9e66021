"""The sender: writes « bientôt » when it becomes due, then delivers the outbox (SMS, Web Push), retrying what can wait.

It runs in the one process of the embedded default (a background task started by the first
event, ending when idle) or as its own process in the scale-out deployment
(``accueil notify run``). Several senders may run at once: each message is claimed by one
(``accueil.notices.claim``). A sender killed mid-batch loses nothing: what it had claimed is
taken again when the lease ends. What can still happen twice: a message the SMSC accepted
just before the kill, or whose answer was lost with the connection, is sent again (README).
"""
from __future__ import annotations

import logging
import re
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import bindparam
from sqlmodel import select

from accueil import notices, push_subscriptions, site_state
from accueil.clock import service_day, utcnow
from accueil.history import site_changed
from accueil.identity import mask_phone
from accueil.lifecycle import WAITING
from accueil.models import Notice, Site, Ticket
from notify.sms import NotNow, Refused, SmppLink, SmppSettings
from notify.texts import render

log = logging.getLogger(__name__)

MAX_AGE = timedelta(minutes=10)
"""A message not delivered after this is given up: a call from twenty minutes ago is worse than none."""
SWEEP_EVERY = 10.0
"""Seconds between two looks at a site whose state did not change (estimates move with time)."""
SWEEP_GAP = 1.0
"""Seconds at least between two sweeps: under a rush of check-ins each one changes the site, and reading
its whole state per event took most of the process (measured: 70 % of the CPU under bench/checkin_http.py);
« bientôt » a second late costs nothing."""
SWEEP_SHARE = 0.05
"""The largest share of the process's time the sweeps take: after a sweep that took *t* seconds the next
waits at least *t* / SWEEP_SHARE (a day of thousands of tickets makes each read of the state longer)."""
ROUND_GAP = 0.05
"""Seconds at least between the starts of two rounds that found nothing to send: every event wakes the
sender, and under a rush a look at the outbox per event cost a tenth of the process (issue 18); a message
50 ms later costs nothing."""
IDLE_EXIT = 120.0
"""Seconds without anything to send after which the in-process sender stops (the next event starts it)."""


_OWED_SOON = (select(Ticket.id)
              .where(Ticket.site_id == bindparam("site"), Ticket.service_day == bindparam("day"),
                     Ticket.status == WAITING, Ticket.reach != 0)
              .limit(1))
"""A waiting ticket of the site today whose visitor can be told « bientôt » (by SMS or push), if any."""


def _owed_soon(s, sites, now) -> set[int]:
    """The ids of the *sites* where someone waiting today may be owed « bientôt ».

    Today's tickets only, one indexed probe a site: the table keeps every past day's anonymous rows
    (a scan of them all on every sweep grew with the months), and a ticket left waiting last night
    is owed nothing.
    """
    return {site.id for site in sites
            if s.exec(_OWED_SOON, params={"site": site.id, "day": service_day(now, site.timezone)}).first() is not None}


_LINK_SECRET = re.compile(r"(/(?:pieces|ticket)/)[A-Za-z0-9_-]{8,}")


class LogSms:
    """The demo's SMS: written to the log, the number masked and a link's secret hidden, never sent."""

    def send(self, number: str, text: str) -> str:
        log.info("SMS to %s: %s", mask_phone(number), _LINK_SECRET.sub(r"\1…", text))
        return "log"

    def close(self) -> None:
        pass


def sms_transport(config: dict, environ):
    """The SMS transport the settings name: ``log`` (the default), ``smpp``, or None (``off``)."""
    kind = (config.get("SMS_TRANSPORT") or environ.get("ACCUEIL_SMS") or "log").lower()
    if kind == "off":
        return None
    if kind == "smpp":
        return SmppLink(config.get("SMPP") or SmppSettings.from_environ(environ))
    if kind != "log":
        raise RuntimeError("ACCUEIL_SMS must be log, smpp or off")
    return LogSms()


class Sender:
    """Derive and deliver the visitors' messages of one database."""

    def __init__(self, app, db, vault, sms, *, push=None, max_age: timedelta = MAX_AGE, batch: int = 20,
                 sweep_every: float = SWEEP_EVERY, sweep_gap: float = SWEEP_GAP,
                 lease: timedelta = notices.LEASE) -> None:
        self.app, self.db, self.vault, self.sms, self.push = app, db, vault, sms, push
        self.max_age, self.batch, self.sweep_every, self.lease = max_age, batch, sweep_every, lease
        self.sweep_gap = sweep_gap
        self._next_sweep = float("-inf")
        self._versions: dict[int, int] = {}
        self._swept: dict[int, float] = {}
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._running = False
        self._stopped = False

    # --- one round ----------------------------------------------------------------------------

    def sweep(self) -> None:
        """Write « bientôt » for the sites whose state changed, or was last looked at a while ago.

        At most one sweep per ``sweep_gap``, and never more than SWEEP_SHARE of the time: a change
        in between is seen by the next sweep (the loop polls).
        """
        started = time.monotonic()
        if started < self._next_sweep:
            return
        try:
            self._sweep(utcnow())
        finally:
            ended = time.monotonic()
            self._next_sweep = ended + max(self.sweep_gap, (ended - started) / SWEEP_SHARE)

    def _sweep(self, now) -> None:
        with self.db.session() as s:
            sites = s.exec(select(Site)).all()
            candidates = _owed_soon(s, sites, now)
        for site in sites:
            changed = self._versions.get(site.id) != site.version
            stale = time.monotonic() - self._swept.get(site.id, 0.0) >= self.sweep_every
            if site.id not in candidates or not (changed or stale):
                continue
            with self.db.session() as s:  # a read; the writer's turn only when someone is owed « bientôt »
                state = site_state.read(s, site.id, now=now)
                due = notices.soon_due_tickets(s, site, state, now) if state is not None else []
            if due:
                with self.db.write_session() as s:
                    notices.enqueue_soon(s, due, now)
                    s.commit()
            self._versions[site.id] = site.version
            self._swept[site.id] = time.monotonic()

    def deliver(self) -> int:
        """Claim a batch of due messages and deliver each; return how many were claimed."""
        now = utcnow()
        with self.db.session() as s:  # a read first: an idle poll takes no writer's turn
            if not notices.anything_due(s, now=now):
                return 0
        with self.db.write_session() as s:
            notices.expire_old(s, now=now, max_age=self.max_age)
            claimed = notices.claim(s, now=now, limit=self.batch, lease=self.lease)
            s.commit()
        held_until = time.monotonic() + self.lease.total_seconds() / 2
        for i, notice in enumerate(claimed):
            if time.monotonic() > held_until:  # a slow SMSC: let another sender have the rest before our lease ends
                with self.db.write_session() as s:
                    notices.release(s, [n.id for n in claimed[i:]])
                    s.commit()
                break
            self._deliver_one(notice)
        return len(claimed)

    def _deliver_one(self, notice) -> None:
        now = utcnow()
        with self.db.session() as s:
            ticket = s.get(Ticket, notice.ticket_id)
            site = s.get(Site, notice.site_id)
        today = service_day(now, site.timezone) if site is not None else None
        why_not = notices.still_true(notice, ticket, today)
        outcome, reason = "dropped", why_not
        if why_not is None:
            outcome, reason = self._send(notice, ticket)
        with self.db.write_session() as s:
            now = utcnow()
            if outcome == "sent":
                notices.mark_sent(s, notice.id, now=now)
            elif outcome == "failed":
                notices.mark_failed(s, notice.id, now=now, reason=reason)
                site_changed(s, notice.site_id, now, kind="messages")  # the consoles show the agent at once
            elif outcome == "retry":
                notices.retry_later(s, notice, now=now, reason=reason, max_age=self.max_age)
            else:
                notices.mark_dropped(s, notice.id, now=now, reason=reason)
            s.commit()

    def _send(self, notice, ticket) -> tuple[str, str | None]:
        with self.app.app_context():
            title, text = render(notice)
        try:
            if notice.channel == "sms":
                if self.sms is None:
                    return "dropped", "SMS turned off"
                number = self.vault.decrypt_optional(ticket.phone_enc)
                if not number:
                    return "dropped", "no phone number"
                self.sms.send(number, text)
            elif notice.channel == "push":
                with self.db.session() as s:
                    subscription = push_subscriptions.of_ticket(s, self.vault, ticket.id)
                if self.push is None or subscription is None:
                    return "dropped", "no push subscription" if self.push else "push turned off"
                # The tag makes a recall replace the first call's notification rather than pile up.
                # A list of documents opens itself when tapped, and never replaces a call's notification.
                url, tag = f"/ticket/{ticket.public_id}", f"ticket-{ticket.id}"
                if notice.kind == notices.DOCUMENTS and notice.link:
                    url, tag = urlsplit(notice.link).path, f"documents-{ticket.id}"
                self.push.send(subscription, {"title": title, "body": text, "url": url, "tag": tag},
                               ttl=int(self.max_age.total_seconds()))
            else:
                return "dropped", f"unknown channel {notice.channel}"
        except Refused as err:
            return "failed", str(err)
        except NotNow as err:
            return "retry", str(err)
        except Exception as err:  # a fault of ours or the library's: logged, tried again until too old
            log.exception("a %s message could not be sent", notice.channel)
            return "retry", type(err).__name__
        return "sent", None

    def run_once(self) -> int:
        """One round: the sweep, then a batch; return how many messages were claimed."""
        self.sweep()
        return self.deliver()

    # --- running -------------------------------------------------------------------------------

    def wake(self, _event=None) -> None:
        """Something changed (an event of this process): look now, starting the loop if it sleeps."""
        self._wake.set()
        if self._stopped:
            return
        with self._lock:
            if self._running:
                return
            self._running = True
        # A greenlet under gevent's worker, a thread otherwise: whatever the app's Socket.IO runs on.
        self.app.extensions["accueil.socketio"].start_background_task(self._loop, IDLE_EXIT)

    def _loop(self, idle_exit: float | None, poll: float = 1.0) -> None:
        idle_since = time.monotonic()
        try:
            while not self._stopped:
                started = time.monotonic()
                self._wake.clear()
                try:
                    busy = self.run_once()
                except Exception:  # the database away a moment: try again shortly
                    log.exception("the notification sender failed a round")
                    busy = 0
                if busy:
                    idle_since = time.monotonic()
                    continue
                if idle_exit is not None and time.monotonic() - idle_since > idle_exit and not self._has_work():
                    return
                self._wake.wait(poll)
                time.sleep(max(0.0, started + ROUND_GAP - time.monotonic()))  # woken again at once: a rush
        finally:
            with self._lock:
                self._running = False

    def _has_work(self) -> bool:
        with self.db.session() as s:
            pending = s.exec(select(Notice.id).where(Notice.status == notices.PENDING).limit(1)).first()
            waiting = _owed_soon(s, s.exec(select(Site)).all(), utcnow())
        return pending is not None or bool(waiting)

    def run_forever(self, poll: float = 0.5) -> None:
        """The loop of ``accueil notify run``: until stopped (SIGTERM)."""
        self._loop(None, poll)

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        for transport in (self.sms, self.push):
            if transport is not None:
                transport.close()
