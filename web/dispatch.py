"""The event pipeline of one process: committed events leave the commit, each audience sends its payloads.

How an event travels:

1. A domain function records it (``accueil.events.record``); the commit hands it to the
   bus, whose subscriber here only puts it in a queue: the request (and on SQLite the
   process's write turn) never waits for the fan-out.
2. With ``REDIS_URL`` the event crosses Redis once, on the ``accueil:events`` channel, and
   every process (this one too) takes it from there; without, it goes straight to this
   process's dispatcher.
3. The dispatcher (one background task) batches each site's events: the first event after a
   quiet spell goes at once, then a site is flushed at most every ``WINDOW`` seconds (or
   ``SHARE`` times its last update's duration, if longer), with everything that arrived
   meanwhile; a call or recall goes at once, with what waited.
4. For a batch it reads the site's state once (``accueil.site_state``), only if a client of
   that site is connected to this process, and hands it to every audience (display,
   phones, consoles), each of which builds its payloads (``accueil.audiences``) and sends
   them to its own clients on this process.

Nothing is lost for good: an event that never reaches a dispatcher (a crash right after
the commit, Redis down) leaves the clients one version behind; their next event shows a
gap, or their periodic check (15 s) or reconnect brings a snapshot, and the snapshot is
read from the database, which has everything committed.

``AccessEnded`` events (a logout, a revoked device, a disabled agent) skip the batching:
each process closes that party's sockets at once.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Protocol

from accueil.clock import utcnow
from accueil.events import AccessEnded, SiteChanged, TicketEvent
from accueil.site_state import SiteState, StateCache

log = logging.getLogger(__name__)

WINDOW = 0.15
"""Seconds: a site's clients get at most one update per window (the first event of a quiet spell at once)."""
URGENT = ("called", "recalled")
"""Event kinds that never wait for the window: a call reaches the screen and the phone at once."""
SHARE = 3
"""A site's next update waits at least SHARE times as long as its last one took: updates never take more
than about a third of the process, whatever the size of the waiting room."""
IDLE_EXIT = 30.0
"""Seconds without events after which the dispatcher's task ends (the next event starts it again)."""
_STOP = object()


@dataclass(frozen=True)
class Batch:
    """A site's events dispatched together, oldest first."""

    site_id: int
    events: tuple
    since: int
    """The version of the site's previous update from this dispatcher (the display's ``from``)."""

    def has(self, of: type, **fields) -> bool:
        """True if an event of type *of*, with these field values, is in the batch."""
        return any(isinstance(e, of) and all(getattr(e, k) == v for k, v in fields.items()) for e in self.events)


class Audience(Protocol):
    """A kind of live client (displays, phones, consoles) on this process.

    ``order`` says who goes first in a batch (the screen that announces calls, then the phones
    the batch is about, then the consoles); ``deliver_rest`` sends what can wait for the others
    (every other phone's new position).
    """

    order: int

    def has_clients(self, site_id: int) -> bool: ...

    def deliver(self, batch: Batch, state: SiteState) -> None: ...

    def deliver_rest(self, batch: Batch, state: SiteState) -> None: ...

    def cut(self, event: AccessEnded) -> None: ...


class Schedule:
    """When each site's pending events go: the batching rule, kept apart from the loop's clock."""

    def __init__(self) -> None:
        self._pending: dict[int, list] = {}
        self._due: dict[int, float] = {}
        self._next_free: dict[int, float] = {}  # site -> when a non-urgent update may go

    def add(self, event, now: float) -> None:
        """An event of a site arrived at *now*: a call goes at once, others when the site's window allows."""
        site_id = event.site_id
        self._pending.setdefault(site_id, []).append(event)
        when = now if getattr(event, "kind", None) in URGENT else max(now, self._next_free.get(site_id, 0.0))
        self._due[site_id] = min(self._due.get(site_id, when), when)

    def ready(self, now: float) -> list[tuple[int, list]]:
        """The sites whose events go now, with their events oldest first."""
        sites = [site_id for site_id, due in self._due.items() if due <= now]
        for site_id in sites:
            del self._due[site_id]
        return [(site_id, sorted(self._pending.pop(site_id), key=lambda e: e.version)) for site_id in sites]

    def flushed(self, site_id: int, started: float, ended: float) -> None:
        """A site's update took from *started* to *ended*: its next one waits WINDOW, or SHARE times as long."""
        took = ended - started
        self._next_free[site_id] = ended + max(WINDOW - took, SHARE * took)
        if len(self._next_free) > 1000:  # sites long quiet: forget them
            self._next_free = {s: t for s, t in self._next_free.items() if t > ended}

    def wait(self, now: float) -> float | None:
        """Seconds until the next site is due (None: nothing pending)."""
        return max(0.0, min(self._due.values()) - now) if self._due else None

    def busy(self) -> bool:
        return bool(self._due)


def encode(event) -> str:
    """The event as JSON for Redis (it holds no personal data; a ticket's link stays between servers)."""
    kind = {TicketEvent: "ticket", SiteChanged: "site", AccessEnded: "access"}[type(event)]
    fields = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(event).items()}
    return json.dumps({"type": kind, **fields})


def decode(raw: bytes | str):
    data = json.loads(raw)
    kind = data.pop("type")
    if "at" in data:
        data["at"] = datetime.fromisoformat(data["at"])
    return {"ticket": TicketEvent, "site": SiteChanged, "access": AccessEnded}[kind](**data)


class Dispatcher:
    """Turn this process's committed events (and, with Redis, every process's) into payloads for its clients."""

    def __init__(self, app, socketio, *, redis_url: str | None = None, channel: str = "accueil") -> None:
        self.app = app
        self.socketio = socketio
        self.db = app.extensions["accueil.db"]
        self.cache = StateCache()
        self.audiences: list[Audience] = []
        self.channel = f"{channel}:events"
        self._redis = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url)
        self._inbox: queue.Queue = queue.Queue()
        self._outbox: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._running = False
        self._publishing = False
        self._listening = False
        self._stopped = False
        self._since: dict[int, int] = {}
        self.flushes = 0

    # --- in -----------------------------------------------------------------------------

    def register(self, audience: Audience) -> Audience:
        audience.dispatcher = self
        self.audiences.append(audience)
        self.audiences.sort(key=lambda a: a.order)
        return audience

    def submit(self, event) -> None:
        """Take a committed event (the bus calls this inside the commit: it only queues)."""
        if self._redis is None:
            if self._stopped or self.app.config.get("ACCUEIL_CLI"):
                return  # a command without Redis: the server's clients see its change at their next check
            self._inbox.put(event)
            self._ensure_running()
        elif self.app.config.get("ACCUEIL_CLI"):
            self._publish(event)  # a command: no clients here, and it exits soon; publish now
        else:
            self._outbox.put(event)
            self._ensure_publishing()

    def listen(self) -> None:
        """Receive every process's events (called when this process gets its first client)."""
        if self._redis is not None:
            self._start_once("_listening", self._listen)

    def stop(self) -> None:
        """End the background tasks (tests; a server process just exits)."""
        self._stopped = True
        self._inbox.put(_STOP)
        self._outbox.put(_STOP)

    # --- background tasks -----------------------------------------------------------------

    def _start_once(self, flag: str, target) -> None:
        """Start *target* as a background task unless the task named by *flag* runs already."""
        with self._lock:
            if getattr(self, flag) or self._stopped:
                return
            setattr(self, flag, True)
        self.socketio.start_background_task(target)

    def _ensure_running(self) -> None:
        self._start_once("_running", self._run)

    def _ensure_publishing(self) -> None:
        self._start_once("_publishing", self._publish_loop)

    def _publish(self, event) -> None:
        try:
            self._redis.publish(self.channel, encode(event))
        except Exception:  # Redis away: the clients resync from their snapshots
            log.warning("an event could not be published to Redis; clients will resync")

    def _publish_loop(self) -> None:
        while True:
            event = self._outbox.get()
            if event is _STOP:
                return
            self._publish(event)

    def _listen(self) -> None:
        while not self._stopped:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                for message in pubsub.listen():
                    if self._stopped:
                        return
                    try:
                        event = decode(message["data"])
                    except Exception:
                        log.warning("a malformed event on the Redis channel was ignored")
                        continue
                    self._inbox.put(event)
                    self._ensure_running()
            except Exception:  # Redis restarted: listen again; clients resync on their next check
                log.warning("events from Redis interrupted; listening again")
                time.sleep(1)

    def _run(self) -> None:
        with self.app.app_context():
            try:
                self._loop()
            finally:
                with self._lock:
                    self._running = False
        if not self._inbox.empty() and not self._stopped:
            self._ensure_running()  # an event came in as the loop was ending

    def _loop(self) -> None:
        schedule = Schedule()
        idle_since = time.monotonic()
        while True:
            now = time.monotonic()
            timeout = schedule.wait(now)
            try:
                event = self._inbox.get(timeout=IDLE_EXIT if timeout is None else timeout)
            except queue.Empty:
                event = None
            if event is _STOP:
                return
            received = [] if event is None else [event]
            while True:  # everything already queued joins this round
                try:
                    more = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    return
                received.append(more)
            now = time.monotonic()
            for ev in received:
                if isinstance(ev, AccessEnded):
                    self._cut(ev)
                else:
                    schedule.add(ev, now)
            for site_id, events in schedule.ready(now):
                started = time.monotonic()
                self._flush(site_id, events)
                schedule.flushed(site_id, started, time.monotonic())
            if received or schedule.busy():
                idle_since = now
            elif now - idle_since >= IDLE_EXIT:
                return

    # --- out ------------------------------------------------------------------------------

    def _cut(self, event: AccessEnded) -> None:
        for audience in self.audiences:
            try:
                audience.cut(event)
            except Exception:
                log.exception("closing the sockets of a %s failed", event.party)

    def _flush(self, site_id: int, events: list) -> None:
        since = self._since.get(site_id, events[0].version - 1)
        audiences = [a for a in self.audiences if a.has_clients(site_id)]
        if not audiences:
            self._since[site_id] = max(since, events[-1].version)
            return
        try:
            with self.db.session() as s:
                state = self.cache.get(s, site_id, now=utcnow())
        except Exception:
            log.exception("the state of site %s could not be read; its clients will resync", site_id)
            return
        if state is None:
            return
        batch = Batch(site_id, tuple(events), since)
        self.flushes += 1
        for step in ("deliver", "deliver_rest"):
            for audience in audiences:
                try:
                    getattr(audience, step)(batch, state)
                except Exception:  # one audience failing must not starve the others
                    log.exception("an update for site %s could not be sent", site_id)
        self._since[site_id] = max(state.version, since)
