"""Reading the outbox of visitors' messages, and running a sender round by round, for the tests."""
from __future__ import annotations

import time

from sqlmodel import select

from accueil.models import Notice


def notices_of(app) -> list[Notice]:
    with app.extensions["accueil.db"].session() as s:
        return list(s.exec(select(Notice).order_by(Notice.id)).all())


def drain(sender, until, rounds: int = 40) -> bool:
    """Run *sender* round after round until *until()* holds (False if it never does)."""
    for _ in range(rounds):
        sender.run_once()
        if until():
            return True
        time.sleep(0.25)
    return until()
