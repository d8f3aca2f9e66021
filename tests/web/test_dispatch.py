"""The process's dispatcher: events leave the commit, are batched per site, and a call never waits."""
from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.events import AccessEnded, TicketEvent
from accueil.models import Desk, Site
from tests.live import demo_app
from web.dispatch import SHARE, WINDOW, Schedule, decode, encode

WAIT = 10


class Recorder:
    """An audience with one client per site, recording every batch it is given."""

    order = 5

    def __init__(self) -> None:
        self.batches: list = []
        self.cuts: list = []
        self.changed = threading.Condition()

    def has_clients(self, site_id: int) -> bool:
        return True

    def deliver(self, batch, state) -> None:
        with self.changed:
            self.batches.append((time.monotonic(), batch, state.version))
            self.changed.notify_all()

    def deliver_rest(self, batch, state) -> None:
        pass

    def cut(self, event) -> None:
        with self.changed:
            self.cuts.append(event)
            self.changed.notify_all()

    def wait_for(self, predicate) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, WAIT), self.batches


@pytest.fixture
def app(tmp_path):
    app = demo_app(tmp_path / "instance")
    yield app
    app.extensions["accueil.dispatcher"].stop()


def chaumont(app):
    db = app.extensions["accueil.db"]
    with db.session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        desk = s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == "Bureau 1")).one()
    return site.id, desk.id


def check_ins(app, site_id: int, n: int) -> None:
    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    for _ in range(n):
        with db.write_session() as s:
            check_in(s, vault, site_id=site_id, has_appointment=True, nir=None, now=utcnow())
            s.commit()


def event(site_id: int, version: int, kind: str = "issued") -> TicketEvent:
    return TicketEvent(kind=kind, site_id=site_id, version=version, ticket_id=version, public_id="x" * 32,
                       code=f"R{version:03d}", status="waiting", queue_id=1, desk_id=None, at=utcnow())


def test_the_schedule_sends_a_quiet_sites_first_event_at_once_then_batches_and_never_holds_a_call():
    schedule = Schedule()
    schedule.add(event(1, 1), now=100.0)
    assert [(s, [e.version for e in es]) for s, es in schedule.ready(100.0)] == [(1, [1])]
    schedule.flushed(1, started=100.0, ended=100.01)
    for v, at in ((2, 100.02), (3, 100.05), (4, 100.06)):
        schedule.add(event(1, v), now=at)
    assert schedule.ready(100.07) == []  # within the window: they wait, together
    assert schedule.wait(100.07) == pytest.approx(100.01 + WINDOW - 0.01 - 100.07)
    schedule.add(event(1, 5, kind="called"), now=100.08)  # a call goes at once, taking what waited
    assert [[e.version for e in es] for _, es in schedule.ready(100.08)] == [[2, 3, 4, 5]]
    schedule.flushed(1, started=100.08, ended=100.28)  # a long update (a big room): 0.2 s
    schedule.add(event(1, 6), now=100.29)
    assert schedule.ready(100.29 + WINDOW) == []  # the next waits SHARE times as long as that one took
    assert [s for s, _ in schedule.ready(100.28 + SHARE * 0.2 + 0.001)] == [1]
    schedule.add(event(2, 1), now=100.3)  # another site is not held by this one
    assert [s for s, _ in schedule.ready(100.3)] == [2] and not schedule.busy()


def test_a_burst_of_events_becomes_at_most_two_updates_that_follow_each_other(app):
    dispatcher = app.extensions["accueil.dispatcher"]
    recorder = dispatcher.register(Recorder())
    site_id, _ = chaumont(app)
    for v in range(1, 9):  # eight events in a row, microseconds apart
        dispatcher.submit(event(site_id, v))
    recorder.wait_for(lambda: sum(len(b.events) for _, b, _ in recorder.batches) == 8)
    batches = [b for _, b, _ in recorder.batches]
    assert len(batches) <= 2  # the first at once (with what was already queued), the rest after the window
    assert [e.version for b in batches for e in b.events] == list(range(1, 9))
    # Each update follows the one before (the display's "from"), so a screen sees no gap.
    assert [b.since for b in batches[1:]] == [v for _, _, v in recorder.batches[:-1]]


def test_an_ended_access_is_handed_to_every_audience_at_once(app):
    dispatcher = app.extensions["accueil.dispatcher"]
    recorder = dispatcher.register(Recorder())
    app.extensions["accueil.db"].bus.publish(AccessEnded("agent", 7))
    recorder.wait_for(lambda: recorder.cuts == [AccessEnded("agent", 7)])


def test_events_cross_redis_as_json_without_personal_data(app):
    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    seen = []
    db.bus.subscribe(seen.append)
    site_id, _ = chaumont(app)
    with db.write_session() as s:
        check_in(s, vault, site_id=site_id, has_appointment=False, nir="255081416802538", phone="0612345678",
                 now=utcnow())
        s.commit()
    for event in seen + [AccessEnded("device", 3)]:
        text = encode(event)
        assert decode(text) == event
        assert "255081416802538" not in text and "0612345678" not in text and "612345678" not in text
