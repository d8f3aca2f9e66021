"""The event pipeline's cost: one event with 0, 10, 100 and 1,000 phones and 10 consoles connected.

In one process (SQLite, the real app): a site with ``--waiting`` tickets in the queue being
called, and N phones (each holding one of those tickets) plus 10 agent consoles registered with
the live namespaces as connected clients. The sockets themselves are stubbed: sending a payload
costs its JSON encoding (what python-socketio does once per emit), nothing is written to a
network. For each N it measures, over ``--rounds`` calls:

- **event CPU**: the dispatcher's work for one batch holding one call (``Dispatcher._flush``:
  one read of the site's state, every phone's status, the consoles' regions, the display's
  update), in CPU time;
- **check-in latency**: a check-in's transaction and commit as a request makes it (the fan-out
  runs later, in the dispatcher's task), against the same with no client connected.

    .venv/bin/python bench/pipeline.py [--phones 0,10,100,1000] [--consoles 10] [--rounds 20] [--profile]

Targets (issue 19): one event with 1,000 phones under 20 ms of CPU; a check-in with 1,000 phones
connected within 1.2x of the same with none.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from accueil import tickets  # noqa: E402
from accueil.checkin import check_in  # noqa: E402
from accueil.clock import utcnow  # noqa: E402
from accueil.models import Agent, Desk, Site  # noqa: E402
from tests.live import demo_app  # noqa: E402
from web.realtime import Client  # noqa: E402


class Stub:
    """Stands for the sockets: counts payloads and pays for their encoding, sends nothing."""

    def __init__(self) -> None:
        self.sent = 0
        self.bytes = 0

    def __call__(self, to: str, name: str, payload: dict) -> None:
        self.sent += 1
        self.bytes += len(json.dumps(payload, separators=(",", ":")))


def setup(waiting: int):
    app = demo_app(Path(tempfile.mkdtemp()) / "instance", RATELIMIT_ENABLED=False)
    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        desk = s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == "Bureau 1")).one()
        agents = s.exec(select(Agent).where(Agent.site_id == site.id)).all()
        links = [check_in(s, vault, site_id=site.id, has_appointment=True, nir=None, now=utcnow()).ticket.public_id
                 for _ in range(waiting)]
        s.commit()
    return app, site.id, desk.id, [a.id for a in agents], links


def connect(app, site_id: int, agents: list[int], links: list[str], phones: int, consoles: int, stub: Stub):
    dispatcher = app.extensions["accueil.dispatcher"]
    by_ns = {a.namespace: a for a in dispatcher.audiences}
    for audience in dispatcher.audiences:
        audience.send_to = stub
        audience.clients.clear()
        audience._by_site.clear()
    for i, link in enumerate(links[-phones:] if phones else []):
        by_ns["/ticket"]._add(Client(f"p{i}", site_id, "ticket:" + link, {"ticket": link}))
    for i in range(consoles):
        agent = agents[i % len(agents)]
        by_ns["/agent"]._add(Client(f"c{i}", site_id, f"user:{agent}", {
            "agent": agent, "supervisor": i % 2 == 1, "locale": "fr", "page": False, "v": None, "regions": {}}))
    by_ns["/display"]._add(Client("d0", site_id, "device:1", {"device": 1}))


CAPTURED: list = []


def one_round(app, site_id: int, desk_id: int) -> tuple[float, float]:
    """Call the next ticket; return the check-in-like commit's wall time and the batch's CPU time."""
    db = app.extensions["accueil.db"]
    dispatcher = app.extensions["accueil.dispatcher"]
    captured = CAPTURED
    captured.clear()
    t0 = time.perf_counter()
    with db.write_session() as s:
        ticket = check_in(s, app.extensions["accueil.vault"], site_id=site_id, has_appointment=True, nir=None,
                          now=utcnow()).ticket
        s.commit()
    checkin = time.perf_counter() - t0
    with db.write_session() as s:
        t = tickets.call_next(s, site_id=site_id, desk_id=desk_id, now=utcnow())
        s.commit()
    with db.write_session() as s:
        tickets.start(s, site_id=site_id, ticket_id=t.id, now=utcnow())
        tickets.finish(s, site_id=site_id, ticket_id=t.id, now=utcnow())
        s.commit()
    with app.app_context():
        call = [e for e in captured if getattr(e, "kind", None) == "called"]
        c0 = time.process_time()
        dispatcher._flush(site_id, call)
        cpu = time.process_time() - c0
    del ticket
    return checkin, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phones", default="0,10,100,1000")
    ap.add_argument("--consoles", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--profile", action="store_true", help="print the top frames of the largest size's batches")
    args = ap.parse_args()
    sizes = [int(x) for x in args.phones.split(",")]
    app, site_id, desk_id, agents, links = setup(max(sizes) + 2 * args.rounds * len(sizes) + 10)
    app.extensions["accueil.dispatcher"].stop()  # its task stays idle: the flushes are made and timed here
    app.extensions["accueil.db"].bus.subscribe(CAPTURED.append)
    results = {}
    for phones in sizes:
        stub = Stub()
        connect(app, site_id, agents, links, phones, args.consoles if phones else 0, stub)
        one_round(app, site_id, desk_id)  # warm up: caches, masks, templates
        profile = cProfile.Profile() if args.profile and phones == max(sizes) else None
        checkins, cpus = [], []
        for _ in range(args.rounds):
            if profile:
                profile.enable()
            checkin, cpu = one_round(app, site_id, desk_id)
            if profile:
                profile.disable()
            checkins.append(checkin)
            cpus.append(cpu)
        results[phones] = (checkins, cpus)
        label = f"{phones} phones + {args.consoles if phones else 0} consoles"
        print(f"{label:28} event CPU median {statistics.median(cpus) * 1000:6.1f} ms  max {max(cpus) * 1000:6.1f} ms"
              f"   check-in median {statistics.median(checkins) * 1000:5.1f} ms   payloads/event "
              f"{stub.sent / args.rounds:6.0f}  ({stub.bytes / max(1, stub.sent):4.0f} B each)", flush=True)
        if profile:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    base = statistics.median(results[min(sizes)][0])
    for phones in sizes:
        print(f"check-in with {phones:5} phones / with {min(sizes)}: "
              f"x{statistics.median(results[phones][0]) / base:4.2f}  (target <= 1.20)")


if __name__ == "__main__":
    main()
