"""Throughput of the core alone (no HTTP) on SQLite: check-in and call-next.

Each figure is printed beside a baseline run in the same process on the same kind of
database: a bare write transaction inserting one row. Machines here are shared and
noisy, so read the ratios, not the absolute numbers.

    .venv/bin/python bench/core_throughput.py [--tickets 500] [--threads 4]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from sqlalchemy import text  # noqa: E402
from sqlmodel import select  # noqa: E402
from stdnum.fr import nir as stdnum_nir  # noqa: E402

from accueil import tickets  # noqa: E402
from accueil.checkin import check_in  # noqa: E402
from accueil.db import Database  # noqa: E402
from accueil.demo import load_demo  # noqa: E402
from accueil.identity import Vault  # noqa: E402
from accueil.models import Desk, DeskQueue, Queue, Site  # noqa: E402

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


def nir(i: int) -> str:
    body = f"1{80 + i // 12000 % 20:02d}{i % 12 + 1:02d}75056{i // 12 % 999 + 1:03d}"
    return body + stdnum_nir.calc_check_digits(body)


def timed(n_threads: int, per_thread, work) -> float:
    """Run work(thread_index, k) per_thread times in each of n_threads threads; return ops/s."""
    barrier = threading.Barrier(n_threads + 1)

    def body(t):
        barrier.wait()
        for k in range(per_thread):
            work(t, k)

    threads = [threading.Thread(target=body, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    barrier.wait()
    start = time.perf_counter()
    for th in threads:
        th.join()
    return n_threads * per_thread / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=400, help="tickets per measure")
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    per = args.tickets // args.threads

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.create_all()
        vault = Vault(os.urandom(32))
        with db.write_session() as s:
            load_demo(s, vault, now=NOW)
            site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
            rdv = s.exec(select(Queue).where(Queue.site_id == site.id, Queue.letter == "R")).one()
            desks = [Desk(site_id=site.id, name=f"Bench {i}") for i in range(args.threads)]
            s.add_all(desks)
            s.flush()
            s.add_all(DeskQueue(desk_id=d.id, queue_id=rdv.id) for d in desks)
            s.commit()
            site_id, desk_ids = site.id, [d.id for d in desks]
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE baseline (id INTEGER PRIMARY KEY, k INTEGER, v BLOB)"))

        def baseline(t, k):
            with db.write_session() as s:
                s.execute(text("INSERT INTO baseline (k, v) VALUES (:k, :v)"), {"k": t * per + k, "v": b"x" * 64})
                s.commit()

        def one_check_in(t, k):
            with db.write_session() as s:
                check_in(s, vault, site_id=site_id, has_appointment=True, nir=nir(t * per + k),
                         phone="0612345678", now=NOW)
                s.commit()

        def one_call(t, k):
            with db.write_session() as s:
                ticket = tickets.call_next(s, site_id=site_id, desk_id=desk_ids[t], now=NOW)
                tickets.start(s, site_id=site_id, ticket_id=ticket.id, now=NOW)
                tickets.finish(s, site_id=site_id, ticket_id=ticket.id, now=NOW)
                s.commit()

        base = timed(args.threads, per, baseline)
        checkins = timed(args.threads, per, one_check_in)
        calls = timed(args.threads, per, one_call)
        db.dispose()

    print(f"threads: {args.threads}")
    print(f"baseline_write_tx_per_s: {base:.0f}")
    print(f"check_in_per_s: {checkins:.0f}")
    print(f"check_in_ratio_to_baseline: {checkins / base:.2f}")
    print(f"call_next_start_finish_per_s: {calls:.0f}")
    print(f"call_next_ratio_to_baseline: {calls / base:.2f}")


if __name__ == "__main__":
    main()
