"""SMS to visitors under load: calls with notifications against the local SMSC (tests/smsc/smsc.js).

In one process (SQLite, the real app and sender, a real SMSC speaking SMPP on loopback): ``--calls``
visitors are called one after the other, half of them with a phone (an SMS is due), half without,
interleaved, while the sender runs in its own thread as in the embedded default. It reports:

- **messages per second** the sender delivered (from the first call to the last submit_sm);
- **p50 / p99 from the call's commit to the submit_sm** at the SMSC;
- **the call's own latency** (its transaction and commit) with a message to write, as a ratio
  against the same call without one, measured in the same run.

    .venv/bin/python bench/notify.py [--calls 1000] [--rate 1000]

Targets (issue 12): p99 under 2 s with a healthy SMSC; the call within 1.1x of the call without.
"""
from __future__ import annotations

import argparse
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
from accueil.events import TicketEvent  # noqa: E402
from accueil.models import Desk, Notice, Queue, Site  # noqa: E402
from notify.sender import Sender  # noqa: E402
from notify.sms import SmppLink  # noqa: E402
from tests.live import demo_app  # noqa: E402
from tests.smsc_server import Smsc, settings  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=1000.0, help="the SMSC link's throughput limit (messages/s)")
    args = ap.parse_args()

    app = demo_app(Path(tempfile.mkdtemp()) / "instance", RATELIMIT_ENABLED=False)
    db, vault = app.extensions["accueil.db"], app.extensions["accueil.vault"]
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        zone = s.exec(select(Queue).where(Queue.site_id == site.id, Queue.letter == "N")).one()
        zone.seats = args.calls * 2  # one helper desk receives everyone: the calls never wait for a seat
        desk = s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == "Espace numérique")).one()
        people = []
        for i in range(args.calls):
            phone = f"06 {i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d} 00" if i % 2 == 0 else None
            people.append(check_in(s, vault, site_id=site.id, has_appointment=False, nir=None, phone=phone,
                                   now=utcnow()).ticket)
        s.commit()
    smsc = Smsc()
    sender = Sender(app, db, vault, SmppLink(settings(smsc.port, rate=args.rate)), batch=50)
    db.bus.subscribe(sender.wake, of=TicketEvent)  # as the embedded default: each call wakes the sender
    sender.wake()

    committed: dict[str, float] = {}
    latency = {True: [], False: []}
    started = time.time()
    for t in people:
        t0 = time.perf_counter()
        with db.write_session() as s:
            tickets.call_ticket(s, site_id=site.id, ticket_id=t.id, desk_id=desk.id, now=utcnow())
            s.commit()
        latency[bool(t.reach)].append(time.perf_counter() - t0)
        if t.reach:
            committed[t.code] = time.time()
    calls_done = time.time()

    expected = len(committed)
    smsc.wait_for(lambda m: len(m.submits(accepted_only=True)) >= expected, timeout=120)
    sender.stop()
    received = smsc.submits(accepted_only=True)
    by_code = {}
    for record in received:
        code = record["text"].split(" ")[1]
        by_code.setdefault(code, record["received_at"])
    delays = [by_code[code] - at for code, at in committed.items() if code in by_code]
    with db.session() as s:
        statuses = [n.status for n in s.exec(select(Notice)).all()]
    smsc.stop()

    last = max(r["received_at"] for r in received) if received else started
    with_msg, without = statistics.median(latency[True]), statistics.median(latency[False])
    print(f"calls: {args.calls} in {calls_done - started:.1f} s ({args.calls / (calls_done - started):.0f}/s); "
          f"SMS due {expected}, delivered {len(by_code)}, duplicates {len(received) - len(by_code)}, "
          f"notices {dict((k, statuses.count(k)) for k in set(statuses))}")
    print(f"sender: {len(received) / max(last - started, 1e-9):.0f} messages/s delivered, "
          f"{expected / max(calls_done - started, 1e-9):.0f}/s offered by the calls (SMSC link limit {args.rate:.0f}/s)")
    if delays:
        print(f"call -> submit_sm: p50 {statistics.median(delays) * 1000:.0f} ms, "
              f"p99 {percentile(delays, 0.99) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms  (target p99 < 2000 ms)")
    print(f"the call's own latency: median {with_msg * 1000:.2f} ms with a message, {without * 1000:.2f} ms without: "
          f"{with_msg / without:.2f}x  (target <= 1.10x); p90 "
          f"{percentile(latency[True], 0.9) / percentile(latency[False], 0.9):.2f}x")


if __name__ == "__main__":
    main()
