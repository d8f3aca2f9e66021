"""A ticket's states and the actions that move it: the one place they are written."""
from __future__ import annotations

from accueil.errors import InvalidTransition
from accueil.i18n import N_

WAITING = "waiting"
CALLED = "called"
SERVING = "serving"
DONE = "done"
NO_SHOW = "no_show"
CANCELLED = "cancelled"

ACTIVE = (WAITING, CALLED, SERVING)
"""A ticket in one of these states still holds its visitor's place (one per NIR a day)."""

STATUS_LABELS = {
    WAITING: N_("en attente"),
    CALLED: N_("appelé"),
    SERVING: N_("en cours"),
    DONE: N_("terminé"),
    NO_SHOW: N_("absent"),
    CANCELLED: N_("annulé"),
}

ROUND = N_("%(n)se appel")
"""How a repeated call is told to its visitor (page, SMS, push): « 2e appel » after one recall."""


def call_round(recalls: int) -> int:
    """Return which call of its ticket this is for the visitor: 1, then 2 after one recall."""
    return recalls + 1


# action -> {state before: state after}
TRANSITIONS: dict[str, dict[str, str]] = {
    "call": {WAITING: CALLED},
    "recall": {CALLED: CALLED},
    "start": {CALLED: SERVING},
    "finish": {SERVING: DONE},
    "no_show": {CALLED: NO_SHOW},
    "transfer": {WAITING: WAITING, CALLED: WAITING, SERVING: WAITING},
    "cancel": {WAITING: CANCELLED, CALLED: CANCELLED},
}

EVENT_KINDS = {
    "issue": "issued",
    "call": "called",
    "recall": "recalled",
    "start": "started",
    "finish": "finished",
    "no_show": "no_show",
    "transfer": "transferred",
    "cancel": "cancelled",
}


def next_status(action: str, status: str, ticket_code: str) -> str:
    """Return the state *action* leads to from *status*, or raise InvalidTransition."""
    try:
        return TRANSITIONS[action][status]
    except KeyError:
        raise InvalidTransition(ticket=ticket_code, status=STATUS_LABELS.get(status, status)) from None


def sources(action: str) -> tuple[str, ...]:
    """Return the states from which *action* is allowed."""
    return tuple(TRANSITIONS[action])
