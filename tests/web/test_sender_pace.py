"""The sender's sweeps (« bientôt ») are spaced: by a gap, and by their own cost.

Under a rush every check-in changes the site; reading its whole state per change took most of
the process (issue 18). Each test counts the real reads of the state the sweeps make.
"""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlmodel import select

from accueil import site_state
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.models import Site
from notify import sender as sender_module
from notify.sender import LogSms, Sender
from tests.conftest import make_nir


class Reads(list):
    """The times the sender read a site's state (the real read); each lasts ``slow`` seconds more."""

    slow = 0.0


@pytest.fixture
def reads(monkeypatch):
    seen = Reads()
    real = site_state.read

    def read(*args, **kw):
        seen.append(time.monotonic())
        time.sleep(seen.slow)
        return real(*args, **kw)

    monkeypatch.setattr(sender_module.site_state, "read", read)
    return seen


def sender_of(app, **kw) -> Sender:
    ext = app.extensions
    return Sender(app, ext["accueil.db"], ext["accueil.vault"], LogSms(), **kw)


def arrive(app, i: int) -> None:
    """A visitor with a phone checks in: the site changes, and someone may be owed « bientôt »."""
    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    with db.write_session() as s:
        site_id = s.exec(select(Site.id).where(Site.slug == "chaumont")).one()
        check_in(s, vault, site_id=site_id, has_appointment=False, nir=make_nir(i), phone="06 12 34 56 78",
                 now=utcnow())
        s.commit()


def test_a_change_within_the_gap_waits_for_the_next_sweep(app, reads):
    sender = sender_of(app, sweep_gap=30.0)
    arrive(app, 1)
    sender.sweep()
    arrive(app, 2)
    sender.sweep()
    assert len(reads) == 1


def timed_sweep(sender: Sender) -> float:
    started = time.monotonic()
    sender.sweep()
    return time.monotonic() - started


@pytest.mark.parametrize("slow", [0.0, 0.1])
def test_a_sweep_spaces_the_next_by_its_own_cost(app, reads, slow):
    """Without a gap, a sweep that took t waits t / SWEEP_SHARE (2 s after a read of 0.1 s), then reads again."""
    reads.slow = slow
    sender = sender_of(app, sweep_gap=0.0)
    arrive(app, 1)
    took = timed_sweep(sender)
    arrive(app, 2)
    if slow:  # a wait of 2 s at least: a sweep now is surely inside it
        sender.sweep()
        assert len(reads) == 1
    time.sleep(took / sender_module.SWEEP_SHARE + 0.05)
    sender.sweep()
    assert len(reads) == 2


def test_only_todays_waiting_visitors_make_a_sweep_read_the_state(app, reads):
    """A ticket left waiting on an earlier day is owed nothing: the sweep does not read the site for it."""
    sender = sender_of(app, sweep_gap=0.0)
    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    with db.write_session() as s:
        site_id = s.exec(select(Site.id).where(Site.slug == "chaumont")).one()
        check_in(s, vault, site_id=site_id, has_appointment=False, nir=make_nir(1), phone="06 12 34 56 78",
                 now=utcnow() - timedelta(days=3))
        s.commit()
    sender.sweep()
    assert reads == []
    assert not sender._has_work()
    arrive(app, 2)
    sender._next_sweep = float("-inf")
    sender.sweep()
    assert len(reads) == 1
    assert sender._has_work()
