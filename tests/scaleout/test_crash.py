"""Crash: SIGKILL the app process in the middle of a stream of check-ins, then start it again.

Every check-in whose answer (the ticket link) reached the phone is in the database, with the
number the ticket page showed; no number is given twice; check-ins go on after the restart;
a waiting-room screen connected before the crash reconnects by itself and gets a fresh
snapshot that holds everything committed before the crash. Run on the embedded default
(gthread, SQLite file) and on the scale-out process (gevent, PostgreSQL, Redis).
"""
from __future__ import annotations

import itertools
import os
import re
import secrets
import threading
import time
from collections import Counter

import pytest
import requests
import socketio
from sqlmodel import select

from accueil.clock import utcnow
from accueil.db import Database
from accueil.models import Site, Ticket
from accueil.presence import PresenceCodes
from tests.conftest import make_nir
from tests.scaleout.servers import EMBEDDED, SCALEOUT, AppProcess, enrol_display, prepare_instance

PHONES = 6               # threads, each a phone session checking in again and again
BEFORE_KILL = 40         # answers received before the kill
AFTER_RESTART = 30       # answers received after the restart
CODE = re.compile(r'id="ticket-code"><span[^>]*>[^<]*</span>\s*([A-Z]\d{3})')


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Phones:
    """PHONES threads posting check-ins (new NIR each) through real HTTP, noting every answer."""

    def __init__(self, url: str, secret: str, site_id: int):
        self.url = url
        self.codes = PresenceCodes(secret)
        self.site_id = site_id
        self.epoch = 0           # 0 before the kill, 1 while down, 2 once restarted
        self.answers: list[tuple[str, str | None, int]] = []  # (ticket link id, code shown or None, epoch)
        self.refused: list[str] = []  # answers that were neither a ticket nor a connection error
        self.lost = 0            # requests that got no answer (connection refused or cut)
        self._next = itertools.count(1)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(PHONES)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(30)

    def count(self, epoch: int) -> int:
        with self._lock:
            return sum(1 for *_, e in self.answers if e == epoch)

    def _phone(self) -> dict:
        """Scan the kiosk's QR code and open the form: a session cookie and its CSRF token."""
        http = requests.Session()
        scan = http.get(f"{self.url}/k/chaumont/{self.codes.issue(self.site_id, now=utcnow())}",
                        allow_redirects=False, timeout=10)
        assert scan.status_code == 303, scan.status_code
        page = http.get(f"{self.url}/k/chaumont", params={"rdv": "non"}, timeout=10)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return {"Cookie": f"session={http.cookies['session']}"}, csrf

    def _run(self) -> None:
        headers, csrf = self._phone()
        while not self._stop.is_set():
            i = next(self._next)
            epoch = self.epoch
            try:
                # Only the session cookie: the ticket cookie would give the same ticket back.
                r = requests.post(f"{self.url}/k/chaumont", headers=headers, allow_redirects=False, timeout=20,
                                  data={"csrf_token": csrf, "rdv": "non", "once": secrets.token_urlsafe(8),
                                        "nir": make_nir(i), "phone": "06 12 34 56 78"})
            except requests.RequestException:
                with self._lock:
                    self.lost += 1
                time.sleep(0.05)
                continue
            location = r.headers.get("Location", "")
            if r.status_code != 303 or not location.startswith("/ticket/"):
                with self._lock:
                    self.refused.append(f"{r.status_code} {r.text[:200]}")
                continue
            public_id = location.rsplit("/", 1)[1]
            try:  # the page the phone shows next: its number
                match = CODE.search(requests.get(self.url + location, timeout=20).text)
                code = match.group(1) if match else None
            except requests.RequestException:
                code = None  # the answer arrived, the page did not: the link alone must still be good
            with self._lock:
                self.answers.append((public_id, code, max(epoch, self.epoch)))


@pytest.fixture(params=["sqlite", "postgresql"])
def deployment(request, tmp_path):
    """Environment of the app processes: the embedded default, or one scale-out process."""
    instance = tmp_path / "instance"
    env = {**os.environ, "ACCUEIL_INSTANCE": str(instance), "RATELIMIT_ENABLED": "0",
           "SECRET_KEY": secrets.token_urlsafe(32), "LOG_LEVEL": "warning"}
    env.pop("REDIS_URL", None)
    if request.param == "sqlite":
        env.pop("DATABASE_URL", None)
        env["ACCUEIL_ASYNC_MODE"] = "threading"
        yield env, f"sqlite:///{instance / 'accueil.db'}", EMBEDDED
        return
    postgres = request.getfixturevalue("postgres")
    url = postgres.create_database()
    env.update(DATABASE_URL=url, REDIS_URL=request.getfixturevalue("redis_server").url, ACCUEIL_ASYNC_MODE="gevent")
    yield env, url, SCALEOUT
    postgres.drop_database(url)


def test_a_killed_server_loses_no_answered_check_in_and_screens_resync(deployment, tmp_path):
    env, db_url, config = deployment
    prepare_instance(env)
    db = Database(db_url)
    cookie = enrol_display(db)
    with db.session() as s:
        site_id = s.exec(select(Site.id).where(Site.slug == "chaumont")).one()

    server = AppProcess(env, tmp_path, config=config)
    # The server sends the snapshot while accepting the connection, before the client's connect handler
    # runs: snapshots[0] is the first connection's, snapshots[1] the one after the restart.
    connects, drops, snapshots, seen = [], [], [], []
    display = socketio.Client(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=2)

    @display.on("connect", namespace="/display")
    def _connect():
        connects.append(time.monotonic())

    @display.on("disconnect", namespace="/display")
    def _disconnect(reason=None):
        drops.append(reason)

    @display.on("snapshot", namespace="/display")
    def _snapshot(data):
        snapshots.append(data["v"])
        seen.append(data["v"])

    @display.on("event", namespace="/display")
    def _event(data):
        seen.append(data["v"])

    phones = Phones(server.url, env["SECRET_KEY"], site_id)
    try:
        display.connect(server.url, namespaces=["/display"], transports=["websocket"], wait_timeout=20,
                        headers={"Cookie": f"accueil_device={cookie}"}, auth={"site": "chaumont"})
        wait_for(lambda: snapshots, 20, "the first snapshot")
        phones.start()
        wait_for(lambda: len(phones.answers) >= BEFORE_KILL, 120, "check-ins before the kill")

        phones.epoch = 1
        server.kill()
        with db.session() as s:  # what the crash left: every commit that made it to the database
            version_at_kill = s.exec(select(Site.version).where(Site.id == site_id)).one()
        answered_before = len(phones.answers)
        wait_for(lambda: phones.lost > 0, 30, "phones to notice the crash")

        server.start()
        phones.epoch = 2
        wait_for(lambda: len(connects) >= 2 and len(snapshots) >= 2, 60, "the screen to reconnect and resync")
        wait_for(lambda: phones.count(2) >= AFTER_RESTART, 120, "check-ins after the restart")
    finally:
        phones.stop()

    try:
        with db.session() as s:
            tickets = s.exec(select(Ticket).where(Ticket.site_id == site_id)).all()
            final_version = s.exec(select(Site.version).where(Site.id == site_id)).one()
        # Once check-ins stop, the screen, live again, catches up with the last event.
        wait_for(lambda: seen and max(seen) == final_version, 30, "the screen to reach the last version")
    finally:
        display.disconnect()
        logs = server.stop()
        db.dispose()

    print(f"answered {len(phones.answers)} ({answered_before} before the kill), no answer {phones.lost}, "
          f"tickets {len(tickets)}, versions {snapshots} (at the kill {version_at_kill}, final {final_version})")
    assert answered_before >= BEFORE_KILL and phones.lost > 0 and not phones.refused, phones.refused[:3]
    by_link = {t.public_id: t for t in tickets}
    missing = [(p, e) for p, _, e in phones.answers if p not in by_link]
    assert not missing, f"{len(missing)} answered check-ins are not in the database: {missing[:5]}"
    wrong = [(code, by_link[p].code) for p, code, _ in phones.answers if code and by_link[p].code != code]
    assert not wrong, f"tickets whose number changed: {wrong[:5]}"
    assert sum(1 for _, code, _ in phones.answers if code) >= BEFORE_KILL // 2
    numbers = Counter((t.service_day, t.letter, t.number) for t in tickets)
    assert [k for k, n in numbers.items() if n > 1] == []
    walk_ins = sorted(t.number for t in tickets if t.letter == "N")
    assert walk_ins == list(range(1, len(walk_ins) + 1)), "the numbers of the walk-in queue have a gap"
    assert phones.count(2) >= AFTER_RESTART

    assert drops[0] == "transport error" and len(connects) == 2 and len(snapshots) == 2, (drops, snapshots)
    assert snapshots[1] >= version_at_kill > snapshots[0], (snapshots, version_at_kill)
    assert "Traceback" not in logs, logs[-3000:]

