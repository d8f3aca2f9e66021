"""Capacity of one process: N live clients connected, HTTP at a steady 5 requests/s, calls reaching every screen.

For each size (250, 500, 1,000, 2,000 live clients by default) and each server, in the same run:

- **bare**: a bare python-socketio server (``bench/live_bare.py``) under the same gunicorn settings,
  which accepts every client and emits one payload to all of them per call: the baseline;
- **embedded**: the product as ``make run`` serves it (``deploy/gunicorn.conf.py``: one gevent
  process, SQLite), through ``bench/fanout_app.py`` (the real app plus two routes that call and
  free a desk through the core, as a console would);
- **scale-out** (``--scaleout``): one process of ``deploy/gunicorn-scaleout.conf.py`` on PostgreSQL
  and Redis (servers started in temporary folders).

The clients are visitors' phones (one ticket each, all in the queue being called, so that every
call changes every phone's position), 5 waiting-room displays and 4 agent consoles, all admitted
the way the product admits them. While they are connected, the bench sends HTTP requests at a
steady 5 per second for ``--seconds`` (health check, a visitor's ticket page, a visitor's check-in
through the kiosk's form, the call and the freeing of a desk) and measures each one's latency; every call's latency to every client is the
time from the POST that makes it to the moment that client has its update. It prints HTTP p50/p99,
call-to-screen p50/p99 over every client, the worker's RSS, and the ratios to the bare server.

    .venv/bin/python bench/live_capacity.py [--sizes 250,500,1000,2000] [--seconds 20] [--scaleout]

Targets (issue 16): 1,000 clients with HTTP p99 < 300 ms and call-to-screen p99 < 250 ms. The
clients run on the same 2 cores as the server (bench/live_clients.py keeps them light): the
figures are upper bounds of the server's share.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkin_http import nir  # noqa: E402
from bench.fanout import free_port, rss_kb, serve, worker_pid  # noqa: E402
from bench.live_clients import LiveClient, connect_all, percentile  # noqa: E402

BIN = Path(sys.executable).parent
DISPLAYS = 5
CONSOLES = 4
RATE = 5.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prepare(instance: Path, env: dict, phones: int, calls: int, db_url: str | None = None) -> dict:
    """Migrate, load the demo, check the phones in, enrol the displays; return what the clients need."""
    from sqlmodel import select

    from accueil.checkin import check_in
    from accueil.clock import utcnow
    from accueil.db import Database
    from accueil.devices import create_enrolment, enrol
    from accueil.identity import Vault, load_data_key
    from accueil.models import Desk, Site

    for cmd in (["db", "upgrade"], ["demo"]):
        subprocess.run([str(BIN / "accueil"), *cmd], env=env, check=True, cwd=ROOT, capture_output=True)
    db = Database(db_url or f"sqlite:///{instance / 'accueil.db'}")
    vault = Vault(load_data_key(str(instance)))
    links, cookies = [], []
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        desk = s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == "Bureau 1")).one()
        for _ in range(phones + calls):
            links.append(check_in(s, vault, site_id=site.id, has_appointment=True, nir=None, now=utcnow())
                         .ticket.public_id)
        for _ in range(DISPLAYS):
            _, token = create_enrolment(s, site_id=site.id, kind="display", label="bench", now=utcnow())
            cookies.append(enrol(s, token, now=utcnow())[1])
        s.commit()
        desk_id = desk.id
    db.dispose()
    # The phones hold the last tickets: every call before theirs moves them up one place.
    return {"links": links[calls:], "displays": cookies, "desk": desk_id}


async def agent_cookie(http: aiohttp.ClientSession, base: str, login: str, password: str) -> str:
    page = await (await http.get(f"{base}/agent/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    async with http.post(f"{base}/agent/login", data={"csrf_token": token, "login": login, "password": password},
                         allow_redirects=False) as r:
        assert r.status == 303, r.status
    return "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)


async def phone_session(base: str, secret: str) -> dict:
    """A visitor's phone that scanned the kiosk's QR code and holds the check-in form (cookie, CSRF token)."""
    from accueil.clock import utcnow
    from accueil.presence import PresenceCodes

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{base}/k/chaumont/{PresenceCodes(secret).issue(1, now=utcnow())}",
                            allow_redirects=False) as scan:
            assert scan.status == 303, scan.status
        page = await (await http.get(f"{base}/k/chaumont", params={"rdv": "non"})).text()
        cookie = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar if c.key == "session")
    return {"cookie": cookie, "csrf": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}


async def run_one(base: str, data: dict, phones: int, seconds: float, bare: bool, pid: int, secret: str) -> dict:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http, \
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as agent_http, \
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as sup_http:
        consoles = []
        if not bare:
            from accueil.demo import demo_password

            cookies = [await agent_cookie(agent_http, base, "agent.chaumont", demo_password("chaumont", "agent")),
                       await agent_cookie(sup_http, base, "superviseur.chaumont",
                                          demo_password("chaumont", "superviseur"))]
            consoles = [LiveClient("/agent", {}, cookies[i % 2]) for i in range(CONSOLES)]
        else:
            consoles = [LiveClient("/agent", {}) for _ in range(CONSOLES)]
        clients = ([LiveClient("/ticket", {"ticket": link}) for link in data["links"][:phones]]
                   + [LiveClient("/display", {"site": "chaumont"}, f"accueil_device={c}") for c in data["displays"]]
                   + consoles)
        t0 = time.perf_counter()
        admitted = await connect_all(clients, base, http)
        connect_s = time.perf_counter() - t0
        assert admitted == len(clients), f"{len(clients) - admitted} clients refused: {clients[0].refused}"
        await asyncio.sleep(1)
        http_latencies: list[float] = []
        calls: list[float] = []
        visitor = {"cookie": "", "csrf": ""} if bare else await phone_session(base, secret)
        plan = ["healthz", "ticket", "call", "checkin", "free"]
        cpu0 = cpu_seconds(pid)
        started = time.perf_counter()
        pending = set()

        async def one(kind: str, at: float) -> None:
            t = time.perf_counter()
            if kind == "healthz":
                r = await http.get(f"{base}/healthz")
            elif kind == "ticket":
                r = await http.get(f"{base}/ticket/{data['links'][0]}")
            elif kind == "checkin":  # a visitor's check-in, a new NIR each time (the kiosk's form, CSRF and all)
                k = len(http_latencies)
                r = await http.post(f"{base}/k/chaumont", allow_redirects=False, headers={"Cookie": visitor["cookie"]},
                                    data={"csrf_token": visitor["csrf"], "rdv": "non", "once": f"bench-{k}",
                                          "nir": nir(900000 + k), "phone": "06 12 34 56 78"})
                await r.read()
                assert r.status == 303, (kind, r.status)
                http_latencies.append(time.perf_counter() - t)
                return
            else:
                if kind == "call":
                    calls.append(t)
                r = await http.post(f"{base}/bench/{kind}", params={"desk": data["desk"]})
            await r.read()
            assert r.status == 200, (kind, r.status)
            http_latencies.append(time.perf_counter() - t)

        i = 0
        while time.perf_counter() - started < seconds:
            at = started + i / RATE
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.add(asyncio.create_task(one(plan[i % len(plan)], at)))
            i += 1
        await asyncio.gather(*pending)
        await asyncio.sleep(2)  # the last updates arrive
        cpu = cpu_seconds(pid) - cpu0
        deliveries = []
        for t_call in calls:
            for client in clients:
                first = next((at for at, _ in client.updates if at >= t_call), None)
                if first is not None:
                    deliveries.append(first - t_call)
        missing = sum(1 for client in clients for t_call in calls
                      if not any(at >= t_call for at, _ in client.updates))
        await asyncio.gather(*(c.close() for c in clients))
        return {"http": http_latencies, "deliveries": deliveries, "missing": missing, "calls": len(calls),
                "clients": len(clients), "connect_s": connect_s, "cpu_per_call": cpu / max(1, len(calls))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="250,500,1000,2000")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--scaleout", action="store_true", help="also one scale-out process (PostgreSQL, Redis)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    calls = int(args.seconds * RATE / 5) + 10
    rows = []
    secret = secrets.token_urlsafe(32)
    for size in sizes:
        phones = size - DISPLAYS - CONSOLES
        setups = [("bare", "bench.live_bare:create()", "deploy/gunicorn.conf.py", {}),
                  ("embedded", "bench.fanout_app:create()", "deploy/gunicorn.conf.py", {})]
        extra = []
        if args.scaleout:
            from tests.pg import PostgresServer
            from tests.redis_server import RedisServer

            pg, redis = PostgresServer().start(), RedisServer()
            extra = [pg, redis]
            setups.append(("scale-out", "bench.fanout_app:create()", "deploy/gunicorn-scaleout.conf.py",
                           {"DATABASE_URL": pg.create_database(), "REDIS_URL": redis.url}))
        try:
            for name, spec, config, more in setups:
                with tempfile.TemporaryDirectory() as tmp:
                    instance = Path(tmp)
                    port = free_port()
                    env = {**os.environ, "ACCUEIL_INSTANCE": str(instance), "HOST": "127.0.0.1", "PORT": str(port),
                           "RATELIMIT_ENABLED": "0", "LOG_LEVEL": "warning", "PYTHONPATH": str(ROOT),
                           "ACCUEIL_WORKER_CONNECTIONS": str(size + 500), "ACCUEIL_SOCKETS_PER_ADDRESS": str(size + 100),
                           "ACCUEIL_CONTROL_SOCKET": str(instance / "gunicorn.ctl"), "SECRET_KEY": secret, **more}
                    if not more:
                        env.pop("DATABASE_URL", None)
                        env.pop("REDIS_URL", None)
                    data = prepare(instance, env, phones, calls, more.get("DATABASE_URL"))
                    proc = serve(spec, env, port, config)
                    try:
                        time.sleep(1)
                        pid = worker_pid(proc.pid)
                        result = asyncio.run(run_one(f"http://127.0.0.1:{port}", data, phones, args.seconds,
                                                     bare=name == "bare", pid=pid, secret=secret))
                        result["rss"] = rss_kb(pid)
                    finally:
                        proc.terminate()
                        proc.wait(30)
                rows.append((size, name, result))
                print(f"{size:5} {name:9}  HTTP p50 {percentile(result['http'], 50) * 1000:6.1f} ms  "
                      f"p99 {percentile(result['http'], 99) * 1000:6.1f} ms   call-to-screen p50 "
                      f"{percentile(result['deliveries'], 50) * 1000:6.1f} ms  p99 "
                      f"{percentile(result['deliveries'], 99) * 1000:6.1f} ms   missing {result['missing']:4}   "
                      f"RSS {result['rss'] / 1024:6.1f} MB   connect {result['connect_s']:5.1f} s   "
                      f"server CPU per second (a call, a check-in, a desk freed, 2 page views) {result['cpu_per_call'] * 1000:5.0f} ms",
                      flush=True)
        finally:
            for server in extra:
                server.stop()
    print("\nratios to the bare python-socketio server of the same size (HTTP p99, call-to-screen p99, RSS):")
    by = {(size, name): r for size, name, r in rows}
    for size, name, r in rows:
        if name == "bare":
            continue
        b = by[(size, "bare")]
        print(f"{size:5} {name:9}  HTTP p99 x{percentile(r['http'], 99) / percentile(b['http'], 99):5.2f}   "
              f"call-to-screen p99 x{percentile(r['deliveries'], 99) / percentile(b['deliveries'], 99):5.2f}   "
              f"RSS x{r['rss'] / b['rss']:5.2f}")


if __name__ == "__main__":
    main()
