"""The /display namespace with real Socket.IO clients: who may join, what they receive."""
from __future__ import annotations

import threading

import pytest
import socketio
from sqlmodel import col, select

from accueil import tickets
from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.devices import create_enrolment, enrol, revoke
from accueil.models import Desk, Site

WAIT = 10


def enrolled(live, slug="chaumont", kind="display") -> str:
    with live.db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        _, token = create_enrolment(s, site_id=site.id, kind=kind, label="Test", now=utcnow())
        _, credential = enrol(s, token, now=utcnow())
        s.commit()
    return credential


class Screen:
    """A python-socketio client on /display that keeps every message it receives, in order."""

    def __init__(self, live, credential: str | None, site: str = "chaumont"):
        self.messages: list[tuple[str, object]] = []
        self.changed = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._record, namespace="/display")
        self.client.on("disconnect", lambda *a: self._record("disconnect"), namespace="/display")
        headers = {"Cookie": f"accueil_device={credential}"} if credential else {}
        self.client.connect(live.url, headers=headers, auth={"site": site}, namespaces=["/display"],
                            transports=["websocket"], wait_timeout=WAIT)

    def _record(self, name, data=None):
        with self.changed:
            self.messages.append((name, data))
            self.changed.notify_all()

    def wait_for(self, predicate, timeout=WAIT):
        with self.changed:
            assert self.changed.wait_for(lambda: predicate(self.messages), timeout), self.messages[-5:]

    def version(self) -> int:
        return max((d["v"] for _, d in self.messages if isinstance(d, dict) and "v" in d), default=-1)

    def events(self) -> list[dict]:
        return [d for name, d in self.messages if name == "event"]

    def ask_snapshot(self) -> dict:
        data = self.client.call("snapshot", None, namespace="/display", timeout=WAIT)
        self._record("snapshot-answer", data)
        return data

    def close(self):
        self.client.disconnect()


def site_and_desks(live, slug="chaumont"):
    with live.db.session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        desks = {d.name: d.id for d in s.exec(select(Desk).where(Desk.site_id == site.id)).all()}
    return site.id, desks


@pytest.mark.parametrize("who", ["nobody", "kiosk", "other-site", "revoked"])
def test_only_an_enrolled_display_of_the_site_may_join(live, who):
    credential = None
    if who == "kiosk":
        credential = enrolled(live, kind="kiosk")
    elif who == "other-site":
        credential = enrolled(live, slug="saint-dizier")
    elif who == "revoked":
        credential = enrolled(live)
        with live.db.write_session() as s:
            revoke(s, int(credential.split(".")[0]), now=utcnow())
            s.commit()
    with pytest.raises(socketio.exceptions.ConnectionError):
        Screen(live, credential)


def test_a_display_gets_a_snapshot_then_every_site_event_in_order(live):
    screen = Screen(live, enrolled(live))
    other = Screen(live, enrolled(live, slug="saint-dizier"), site="saint-dizier")
    try:
        screen.wait_for(lambda m: any(n == "snapshot" for n, _ in m))
        first = screen.messages[0][1]
        assert first["site"] == "Caf de la Haute-Marne — Chaumont" and first["calls"] == []
        assert [q["letter"] for q in first["waiting"]] == ["N", "R"]
        site_id, desks = site_and_desks(live)
        with live.db.write_session() as s:
            check_in(s, live.vault, site_id=site_id, has_appointment=True, nir=None, now=utcnow())
            check_in(s, live.vault, site_id=site_id, has_appointment=False, nir=None, now=utcnow())
            s.commit()
        with live.db.write_session() as s:
            r = tickets.call_next(s, site_id=site_id, desk_id=desks["Bureau 2"], now=utcnow())
            tickets.call_next(s, site_id=site_id, desk_id=desks["Espace numérique"], now=utcnow())
            tickets.recall(s, site_id=site_id, ticket_id=r.id, now=utcnow())
            s.commit()
        # Updates come in batches (a site gets at most one per window): together they list every
        # call in order, each once, and follow each other (every "from" is the previous "v").
        screen.wait_for(lambda m: any(n == "event" and d["v"] == first["v"] + 5 for n, d in m))
        events = screen.events()
        assert [e["from"] for e in events] == [first["v"]] + [e["v"] for e in events[:-1]]
        assert all(set(e) == {"v", "from", "waiting", "calls"} for e in events)
        calls = [c for e in events for c in e["calls"]]
        assert [(c["code"], c["place"], c["kind"]) for c in calls] == [
            ("R001", "Bureau 2", "called"), ("N001", "Espace numérique", "called"), ("R001", "Bureau 2", "recalled")]
        assert len({c["key"] for c in calls}) == 3
        assert events[-1]["waiting"] == [{"letter": "N", "name": "Espace numérique", "count": 0},
                                         {"letter": "R", "name": "Rendez-vous", "count": 0}]
        snap = screen.ask_snapshot()
        assert snap["v"] == events[-1]["v"]
        assert [c["key"] for c in snap["calls"]] == [c["key"] for c in reversed(calls)]
        assert other.version() == other.messages[0][1]["v"] and other.events() == []  # another site's screen
    finally:
        screen.close()
        other.close()


def test_a_display_revoked_while_connected_is_cut_off_at_once(live):
    credential = enrolled(live)
    screen, other = Screen(live, credential), Screen(live, enrolled(live))
    try:
        screen.wait_for(lambda m: len(m) >= 1)
        with live.db.write_session() as s:
            revoke(s, int(credential.split(".")[0]), now=utcnow())
            s.commit()
        # No need to wait for its next check (this client never asks one): the revocation closes its socket.
        screen.wait_for(lambda m: m[-1][0] == "disconnect")
        assert "disconnect" not in [n for n, _ in other.messages]  # another screen of the site stays
    finally:
        screen.close()
        other.close()


def test_a_display_asking_its_snapshot_is_seen_by_the_supervision(live):
    """The screen's periodic snapshot is its heartbeat: silent → offline, asking → online."""
    from accueil import supervision
    from accueil.models import Device

    credential = enrolled(live)
    with live.db.session() as s:
        site_id = s.exec(select(Site).where(Site.slug == "chaumont")).one().id
        offline = [d.id for d in supervision.offline_devices(s, site_id=site_id, now=utcnow())
                   if d.kind == "display"]
    screen = Screen(live, credential)
    try:
        screen.ask_snapshot()
        with live.db.session() as s:
            seen = {d.id: d.last_seen_at for d in s.exec(select(Device).where(col(Device.id).in_(offline)))}
            still = [d.id for d in supervision.offline_devices(s, site_id=site_id, now=utcnow())
                     if d.kind == "display"]
    finally:
        screen.client.disconnect()
    fresh = [i for i, at in seen.items() if at is not None]
    assert len(fresh) == 1 and fresh[0] not in still
