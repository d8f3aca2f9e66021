"""Statistics over a year of generated history (~100,000 tickets) on SQLite.

Times the figures (accueil.stats.compute), the CSV export, and the supervisor's history page
and CSV download through the application (signed in, whole year) for one site, beside a
baseline in the same run: one plain scan of the same ticket rows (a raw SELECT of the
columns the figures read). Target: under 1 second each.

    .venv/bin/python bench/stats_history.py [--tickets 100000]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from sqlalchemy import insert, text  # noqa: E402

from accueil.clock import local_hour, service_day  # noqa: E402
from accueil.db import Database  # noqa: E402
from accueil.models import Queue, Site, Ticket, TicketTransition  # noqa: E402
from accueil.stats import compute, to_csv  # noqa: E402


def generate(db: Database, n: int) -> tuple[int, date, date]:
    rnd = random.Random(42)
    with db.write_session() as s:
        site = Site(slug="chaumont", name="Chaumont")
        s.add(site)
        s.flush()
        queue = Queue(site_id=site.id, letter="N", name="Espace numérique", kind="zone", seats=6, purpose="walk_in")
        s.add(queue)
        s.commit()
        site_id, queue_id = site.id, queue.id
    start = date(2025, 11, 1)
    days = [start + timedelta(days=i) for i in range(365) if (start + timedelta(days=i)).weekday() < 5]
    per_day = n // len(days) + 1
    tickets, history = [], []
    tid = 0
    for day in days:
        for k in range(per_day):
            if tid >= n:
                break
            tid += 1
            arrived = datetime(day.year, day.month, day.day, 7, 30, tzinfo=timezone.utc) + timedelta(minutes=rnd.randint(0, 480))
            sday = service_day(arrived)
            called = arrived + timedelta(minutes=rnd.expovariate(1 / 15))
            started = called + timedelta(minutes=1)
            finished = started + timedelta(minutes=rnd.randint(5, 30))
            tickets.append(dict(id=tid, public_id=f"p{tid}", site_id=site_id, service_day=sday, letter="N", number=k + 1,
                                queue_id=queue_id, status="done", arrived_at=arrived, queued_at=arrived, due_at=arrived,
                                arrival_hour=local_hour(arrived), first_called_at=called,
                                wait_seconds=round((called - arrived).total_seconds()), first_started_at=started,
                                service_seconds=round((finished - started).total_seconds())))
            for v, (kind, at) in enumerate((("issued", arrived), ("called", called), ("started", started), ("finished", finished))):
                history.append(dict(ticket_id=tid, site_id=site_id, service_day=sday, kind=kind, from_status=None,
                                    to_status="x", queue_id=queue_id, at=at, version=v))
    with db.write_session() as s:
        for chunk in range(0, len(tickets), 5000):
            s.execute(insert(Ticket), tickets[chunk:chunk + 5000])
        for chunk in range(0, len(history), 20000):
            s.execute(insert(TicketTransition), history[chunk:chunk + 20000])
        s.commit()
    return site_id, days[0], days[-1]


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/stats.db")
        db.create_all()
        site_id, first, last = generate(db, args.tickets)
        with db.session() as s:
            baseline = best_of(lambda: s.execute(text(
                "SELECT id, arrival_hour, wait_seconds, service_seconds FROM ticket "
                "WHERE site_id = :s AND service_day BETWEEN :a AND :b"), {"s": site_id, "a": first, "b": last}).all())
            figures = best_of(lambda: compute(s, site_id=site_id, start=first, end=last))
            fig = compute(s, site_id=site_id, start=first, end=last)
            export = best_of(lambda: to_csv(compute(s, site_id=site_id, start=first, end=last)))
        db.dispose()
        page, download = time_pages(tmp, site_id, first, last)
    print(f"tickets: {fig.tickets}")
    print(f"share_within_20_min: {fig.share_within_target:.3f}")
    print(f"baseline_scan_s: {baseline:.3f}")
    print(f"figures_s: {figures:.3f}")
    print(f"figures_ratio_to_baseline: {figures / baseline:.2f}")
    print(f"csv_export_s: {export:.3f}")
    print(f"csv_export_ratio_to_baseline: {export / baseline:.2f}")
    print(f"history_page_s: {page:.3f}")
    print(f"history_page_ratio_to_baseline: {page / baseline:.2f}")
    print(f"history_csv_download_s: {download:.3f}")
    print(f"history_csv_download_ratio_to_baseline: {download / baseline:.2f}")


def time_pages(tmp: str, site_id: int, first: date, last: date) -> tuple[float, float]:
    """Time GET /agent/statistics and /agent/statistics.csv for the whole period, as a supervisor."""
    import re

    from accueil.agents import add_agent
    from app import create_app

    app = create_app({"INSTANCE_PATH": f"{tmp}/instance", "DATABASE_URL": f"sqlite:///{tmp}/stats.db",
                      "RATELIMIT_ENABLED": False})
    db = app.extensions["accueil.db"]
    with db.write_session() as s:
        add_agent(s, login="superviseur.bench", site_id=site_id, password="bench-password-123", supervisor=True)
        s.commit()
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/agent/login").get_data(as_text=True))
    r = client.post("/agent/login", data={"csrf_token": token.group(1), "login": "superviseur.bench",
                                          "password": "bench-password-123"})
    assert r.status_code == 303, "sign-in failed"
    query = f"from={first.isoformat()}&to={last.isoformat()}"

    def get(path: str) -> None:
        r = client.get(f"{path}?{query}")
        assert r.status_code == 200 and len(r.data) > 1000, r.status_code

    result = best_of(lambda: get("/agent/statistics")), best_of(lambda: get("/agent/statistics.csv"))
    db.dispose()
    return result


if __name__ == "__main__":
    main()
