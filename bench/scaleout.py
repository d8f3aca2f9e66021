"""The cost of scale-out: check-in and fan-out with 1 and 2 app processes behind Redis.

One command, three set-ups measured one after the other on this machine, each on a fresh
database (a PostgreSQL and a Redis server that this script starts in temporary folders,
as the tests do, and stops at the end):

  embedded   1 x gunicorn gthread (deploy/gunicorn.conf.py), SQLite, no Redis: the default
  1 proc     1 x gunicorn gevent (deploy/gunicorn-scaleout.conf.py), PostgreSQL, Redis: the baseline
  2 procs    2 x the same, sharing PostgreSQL and Redis

Check-in (bench/checkin_http.py's load): CLIENTS phone sessions, each kept on one process
(phone c on process c mod N, as nginx's sticky sessions do), POSTing check-ins for SECONDS.
Fan-out (bench/fanout.py's measure): DISPLAYS waiting-room clients spread in turn over the
processes, ROUNDS calls made through the first process; a delivery's latency runs from the
POST that makes the call to the moment a client has the event, wherever it is connected.

    .venv/bin/python bench/scaleout.py [--clients 50] [--seconds 10] [--displays 300] [--rounds 20]
                                       [--big 1000]

Prints requests/s and p50/p99 of each, and the ratios 2 procs / 1 proc (and 1 proc /
embedded). --big N adds a fan-out to N clients on one gevent process (0: skip). The load
generators share the machine's cores with the servers: 2 processes cannot show more than
the cores left to them; read the ratios as the cost of the Redis hop and the second process,
not as the gain of a second machine.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import checkin_http  # noqa: E402
import fanout  # noqa: E402

from tests.pg import PostgresServer  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

BIN = Path(sys.executable).parent
EMBEDDED = "deploy/gunicorn.conf.py"
SCALEOUT = "deploy/gunicorn-scaleout.conf.py"


class Setup:
    """One deployment to measure: how many processes, which settings, which database."""

    def __init__(self, name: str, processes: int, config: str, postgres: PostgresServer | None,
                 redis: RedisServer | None):
        self.name, self.processes, self.config = name, processes, config
        self.postgres, self.redis = postgres, redis

    def fresh(self, tmp: Path, threads: int) -> tuple[dict, str]:
        """A new instance folder and database with the demo data; return the servers' env and the DB URL."""
        instance = Path(tempfile.mkdtemp(prefix="instance-", dir=tmp))
        env = {**os.environ, "ACCUEIL_INSTANCE": str(instance), "RATELIMIT_ENABLED": "0", "LOG_LEVEL": "warning",
               "ACCUEIL_SOCKETS_PER_ADDRESS": "100000",
               "SECRET_KEY": secrets.token_urlsafe(32), "ACCUEIL_THREADS": str(threads), "HOST": "127.0.0.1",
               "PYTHONPATH": str(ROOT)}
        env.pop("REDIS_URL", None)
        if self.postgres is None:
            env.pop("DATABASE_URL", None)
            env["ACCUEIL_ASYNC_MODE"] = "threading"
            url = f"sqlite:///{instance / 'accueil.db'}"
        else:
            url = self.postgres.create_database()
            env.update(DATABASE_URL=url, REDIS_URL=self.redis.url, ACCUEIL_ASYNC_MODE="gevent")
        return env, url

    def serve(self, target: str, env: dict) -> list[tuple[subprocess.Popen, str]]:
        return [checkin_http.serve(target, env, self.config) for _ in range(self.processes)]


def stop_all(servers) -> None:
    for proc, _ in servers:
        checkin_http.stop(proc)


def bench_checkin(setup: Setup, tmp: Path, clients: int, seconds: float) -> dict:
    env, _ = setup.fresh(tmp, clients + 50)
    for cmd in (["db", "upgrade"], ["demo"]):
        subprocess.run([str(BIN / "accueil"), *cmd], cwd=ROOT, env={**env, "ACCUEIL_ASYNC_MODE": "threading"},
                       check=True, capture_output=True)
    servers = setup.serve("app:create_app()", env)
    try:
        rps, lat, failed = checkin_http.checkins([u for _, u in servers], clients, seconds, env["SECRET_KEY"])
    finally:
        stop_all(servers)
    return {"rps": rps, "p50": checkin_http.pct(lat, .5), "p99": checkin_http.pct(lat, .99), "failed": failed,
            "n": len(lat)}


def bench_fanout(setup: Setup, tmp: Path, displays: int, rounds: int) -> dict:
    env, url = setup.fresh(tmp, displays + 50)
    env["ACCUEIL_WORKER_CONNECTIONS"] = str(max(2000, displays + 200))
    cookie, desk_id = fanout.prepare(Path(env["ACCUEIL_INSTANCE"]), env, rounds + 5, db_url=url, displays=displays)
    servers = setup.serve("bench.fanout_app:create()", env)
    try:
        time.sleep(0.5)
        pids = [fanout.worker_pid(proc.pid) for proc, _ in servers]
        timing: dict = {}
        lat, rss = asyncio.run(fanout.measure([u for _, u in servers], cookie, desk_id, displays, rounds, pids,
                                              timing))
    finally:
        stop_all(servers)
    return {"p50": statistics.median(lat) * 1000, "p99": fanout.percentile(lat, 99) * 1000,
            "max": max(lat) * 1000, "rss": rss / 1024, "n": len(lat), "rate": len(lat) / timing["rounds_s"]}


def ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}" if b else "  n/a"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50, help="check-in phone sessions")
    ap.add_argument("--seconds", type=float, default=10, help="check-in load per set-up")
    ap.add_argument("--displays", type=int, default=300, help="fan-out clients")
    ap.add_argument("--rounds", type=int, default=20, help="fan-out calls per set-up")
    ap.add_argument("--big", type=int, default=0, help="also fan out to this many clients on one gevent process")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="accueil-scaleout-"))
    postgres = PostgresServer().start()
    redis = RedisServer()
    setups = [Setup("embedded: 1 x gthread, SQLite", 1, EMBEDDED, None, None),
              Setup("1 proc: gevent, PG + Redis", 1, SCALEOUT, postgres, redis),
              Setup("2 procs: gevent, PG + Redis", 2, SCALEOUT, postgres, redis)]
    checkin, fan, big = {}, {}, None
    try:
        for s in setups:
            print(f"check-in, {s.name} ...", flush=True)
            checkin[s.name] = bench_checkin(s, tmp, args.clients, args.seconds)
        for s in setups:
            print(f"fan-out, {s.name} ...", flush=True)
            fan[s.name] = bench_fanout(s, tmp, args.displays, args.rounds)
        if args.big:
            print(f"fan-out to {args.big} clients, {setups[1].name} ...", flush=True)
            big = bench_fanout(setups[1], tmp, args.big, args.rounds)
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    embedded, one, two = (s.name for s in setups)
    print(f"\ncheck-in: {args.clients} clients, {args.seconds:g} s per set-up, clients on this machine")
    print(f"{'':32}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}")
    for name, r in checkin.items():
        print(f"{name:32}{r['rps']:8.0f}{r['p50']:9.1f}{r['p99']:9.1f}{r['failed']:8}")
    c1, c2, c0 = checkin[one], checkin[two], checkin[embedded]
    for label, a, b in (("ratio 2 procs / 1 proc", c2, c1), ("ratio 1 proc / embedded", c1, c0)):
        print(f"{label:32}{ratio(a['rps'], b['rps']):>8}{ratio(a['p50'], b['p50']):>9}{ratio(a['p99'], b['p99']):>9}")

    print(f"\nfan-out: {args.displays} display clients, {args.rounds} calls per set-up, websocket transport")
    print(f"{'':32}{'deliv/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'RSS MB':>9}{'deliv.':>8}")
    for name, r in fan.items():
        print(f"{name:32}{r['rate']:8.0f}{r['p50']:9.1f}{r['p99']:9.1f}{r['max']:9.1f}{r['rss']:9.1f}{r['n']:8}")
    f1, f2, f0 = fan[one], fan[two], fan[embedded]
    for label, a, b in (("ratio 2 procs / 1 proc", f2, f1), ("ratio 1 proc / embedded", f1, f0)):
        print(f"{label:32}{ratio(a['rate'], b['rate']):>8}{ratio(a['p50'], b['p50']):>9}"
              f"{ratio(a['p99'], b['p99']):>9}{ratio(a['max'], b['max']):>9}{ratio(a['rss'], b['rss']):>9}")
    if big:
        print(f"\nfan-out to {args.big} clients on one gevent process (PG + Redis), {args.rounds} calls: "
              f"{big['rate']:.0f} deliveries/s, p50 {big['p50']:.1f} ms, p99 {big['p99']:.1f} ms, "
              f"max {big['max']:.1f} ms, "
              f"worker RSS {big['rss']:.1f} MB, {big['n']} deliveries")


if __name__ == "__main__":
    main()
