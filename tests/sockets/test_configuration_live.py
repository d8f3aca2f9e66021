"""A supervisor's configuration change reaches the site's consoles and screens live (real Socket.IO clients)."""
from __future__ import annotations

from sqlmodel import select

from accueil import desks, tickets
from accueil.clock import utcnow
from accueil.models import Agent, Queue
from tests.sockets.test_display import Screen, enrolled, site_and_desks
from tests.web.test_console_sockets import WAIT, issue, signed_in
from tests.web.test_console_sockets import Agent as Console

PAGE = "/agent/configuration"


def call_at(live, desk_name: str, i: int):
    """Check someone in and call them at *desk_name* (through the core, as another console would)."""
    sid, desk_ids = site_and_desks(live)
    issue(live, "chaumont", i)
    with live.db.write_session() as s:
        agent = s.exec(select(Agent).where(Agent.login == "agent.chaumont")).one()
        desks.take(s, site_id=sid, desk_id=desk_ids[desk_name], agent_id=agent.id, now=utcnow())
        ticket = tickets.call_next(s, site_id=sid, desk_id=desk_ids[desk_name], agent_id=agent.id, now=utcnow())
        s.commit()
    return ticket, desk_ids[desk_name]


def test_renaming_a_desk_and_adding_a_queue_reach_screens_and_consoles_live(live):
    ticket, desk_id = call_at(live, "Bureau 1", 1)
    screen = Screen(live, enrolled(live))
    other_screen = Screen(live, enrolled(live, slug="saint-dizier"), site="saint-dizier")
    sup = signed_in(live, "superviseur.chaumont")
    console = Console(live, signed_in(live, "agent.chaumont"))
    elsewhere = Console(live, signed_in(live, "agent.saint-dizier"))
    for client in (screen, other_screen):
        client.wait_for(lambda m: any(n == "snapshot" for n, _ in m))
    first = next(d for n, d in screen.messages if n == "snapshot")
    assert first["calls"][0]["code"] == ticket.code and first["calls"][0]["place"] == "Bureau 1"
    console.wait_for(lambda n, d: n == "snapshot")
    with live.db.session() as s:
        queue_r = s.exec(select(Queue).where(Queue.id == ticket.queue_id)).one().id

    r = sup.post(live.url + PAGE + f"/desks/{desk_id}", allow_redirects=False,
                 data={"name": "Bureau Un", "queues": str(queue_r)})
    assert r.status_code == 303, r.text[:500]

    # The screen gets a new snapshot: the call now names the desk as renamed, with the next version.
    screen.wait_for(lambda m: any(n == "snapshot" and d["calls"] and d["calls"][0]["place"] == "Bureau Un"
                                  for n, d in m))
    pushed = [d for n, d in screen.messages if n == "snapshot"][-1]
    assert pushed["v"] == first["v"] + 1
    # Nothing new to announce (a call the screen already had in its snapshot is never announced again).
    assert {c["key"] for e in screen.events() for c in e["calls"]} <= {c["key"] for c in first["calls"]}
    # The console gets its desks' list again, with the new name.
    update = console.wait_for(lambda n, d: n == "event" and "Bureau Un" in d["regions"].get("desks", ""))
    assert update["v"] == pushed["v"]
    fresh = console.client.call("snapshot", None, namespace="/agent", timeout=WAIT)
    assert fresh["v"] == pushed["v"] and "Bureau Un" in fresh["regions"]["desks"]

    # A new queue appears in the waiting counts of the screen.
    r = sup.post(live.url + PAGE + "/queues", allow_redirects=False,
                 data={"letter": "F", "name": "Familles", "kind": "desks", "purpose": ""})
    assert r.status_code == 303
    screen.wait_for(lambda m: any(n == "snapshot" and "F" in [w["letter"] for w in d["waiting"]] for n, d in m))
    console.wait_for(lambda n, d: n == "event" and d["v"] == pushed["v"] + 1)

    # A refused change sends nothing; another site hears nothing at all.
    before = (len(screen.messages), len(console.messages))
    r = sup.post(live.url + PAGE + "/queues", allow_redirects=False,
                 data={"letter": "F", "name": "Encore", "kind": "desks", "purpose": ""})
    assert r.status_code == 400
    console.client.call("snapshot", None, namespace="/agent", timeout=WAIT)  # a round trip: anything sent is in
    assert (len(screen.messages), len(console.messages)) == before
    assert [n for n, _ in other_screen.messages] == ["snapshot"]
    assert "event" not in elsewhere.names()
    for client in (screen, other_screen, console, elsewhere):
        client.client.disconnect()


def test_a_disabled_agents_open_console_is_closed(live):
    console = Console(live, signed_in(live, "agent.chaumont"))
    console.wait_for(lambda n, d: n == "snapshot")
    sup = signed_in(live, "superviseur.chaumont")
    with live.db.session() as s:
        agent_id = s.exec(select(Agent).where(Agent.login == "agent.chaumont")).one().id
    r = sup.post(live.url + PAGE + f"/agents/{agent_id}/active", allow_redirects=False, data={"active": "0"})
    assert r.status_code == 303
    console.wait_for(lambda n, d: n == "logout")
    console.wait_for(lambda n, d: n == "disconnect")
