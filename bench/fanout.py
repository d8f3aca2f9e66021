"""Fan-out of one call to N waiting-room displays, beside a bare python-socketio broadcast.

For each server (the bare broadcast first, then the product), in the same run and mode:
gunicorn with deploy/gunicorn.conf.py (one process, gevent), N python-socketio AsyncClients in this process (websocket
transport) joined to the chaumont display room, then ROUNDS calls. A round's latency for
a client is the time from the POST that makes the call to the moment that client has
the event. The product's call goes through the core (bench/fanout_app.py: call_next,
commit, the dispatcher, the /display update), the bare server just emits (bench/fanout_bare.py).

    .venv/bin/python bench/fanout.py [--clients 300] [--rounds 30] [--repeat 3]

Prints p50/p99 per server, the p99 ratio (target: within 1.3x of the bare broadcast) and
the gunicorn worker's RSS with every client connected (target: < 300 MB). The clients
run on the same machine as the server: figures are upper bounds of the server's share.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from accueil.checkin import check_in  # noqa: E402
from accueil.clock import utcnow  # noqa: E402
from accueil.db import Database  # noqa: E402
from accueil.devices import create_enrolment, enrol  # noqa: E402
from accueil.identity import Vault, load_data_key  # noqa: E402
from accueil.models import Desk, Site  # noqa: E402

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(instance: Path, env: dict, tickets_needed: int, db_url: str | None = None,
            displays: int = 1) -> tuple[list[str], int]:
    """Migrate, load the demo, queue the tickets to call, enrol *displays* screens; return their cookies and a desk.

    One cookie per screen: the product admits at most a few sockets per enrolled device.
    """
    for cmd in (["db", "upgrade"], ["demo"]):
        subprocess.run([str(BIN / "accueil"), *cmd], env={**env, "ACCUEIL_ASYNC_MODE": "threading"}, check=True,
                       cwd=ROOT, capture_output=True)
    db = Database(db_url or f"sqlite:///{instance / 'accueil.db'}")
    vault = Vault(load_data_key(str(instance)))
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        desk = s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == "Bureau 1")).one()
        for _ in range(tickets_needed):
            check_in(s, vault, site_id=site.id, has_appointment=True, nir=None, now=utcnow())
        credentials = []
        for _ in range(displays):
            _, token = create_enrolment(s, site_id=site.id, kind="display", label="bench", now=utcnow())
            credentials.append(enrol(s, token, now=utcnow())[1])
        s.commit()
        desk_id = desk.id
    db.dispose()
    return credentials, desk_id


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


class Fleet:
    """N display clients; each notes when it receives each call key, and the last version it saw."""

    def __init__(self, n: int):
        self.n = n
        self.clients: list[socketio.AsyncClient] = []
        self.arrivals: dict[str, list[float]] = {}
        self.versions: list[int] = [-1] * n
        self.changed = asyncio.Event()

    def _client(self, i: int) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)

        async def on_event(data):
            self.versions[i] = max(self.versions[i], data.get("v", -1))
            for call in data.get("calls") or ():
                self.arrivals.setdefault(call["key"], []).append(time.perf_counter())
            self.changed.set()

        async def on_snapshot(data):
            self.versions[i] = max(self.versions[i], data.get("v", -1))
            self.changed.set()

        client.on("event", on_event, namespace="/display")
        client.on("snapshot", on_snapshot, namespace="/display")
        return client

    async def connect(self, urls: list[str], cookies: list[str], batch: int = 25):
        """Connect the clients (client i with screen cookie i), spread in turn over *urls* (as nginx would)."""
        for start in range(0, self.n, batch):
            group = [self._client(i) for i in range(start, min(self.n, start + batch))]
            await asyncio.gather(*(c.connect(urls[(start + j) % len(urls)], headers={"Cookie": f"accueil_device={cookies[(start + j) % len(cookies)]}"},
                                             auth={"site": "chaumont"}, namespaces=["/display"],
                                             transports=["websocket"], wait_timeout=30)
                                   for j, c in enumerate(group)))
            self.clients.extend(group)
        await self.until(lambda: min(self.versions) >= 0)

    async def until(self, predicate, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while not predicate():
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("clients did not all receive the event")
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def close(self):
        await asyncio.gather(*(c.disconnect() for c in self.clients), return_exceptions=True)


async def measure(url: str | list[str], cookies: list[str], desk_id: int, n: int, rounds: int,
                  pid: int | list[int], timing: dict | None = None) -> tuple[list[float], int]:
    """Return every delivery latency (s) and the workers' RSS (kB); calls go through the first URL.

    *timing*, if given, gets the seconds spent in the counted rounds (calls, deliveries, frees).
    """
    urls = [url] if isinstance(url, str) else url
    pids = [pid] if isinstance(pid, int) else pid
    url = urls[0]
    fleet = Fleet(n)
    await fleet.connect(urls, cookies)
    latencies: list[float] = []
    server_ms: list[tuple[float, float]] = []
    async with aiohttp.ClientSession() as http:
        for i in range(rounds + 1):  # the first round warms up (imports, caches, pools): not counted
            t0 = time.perf_counter()
            if i == 1:
                started = t0
            async with http.post(f"{url}/bench/call", params={"desk": desk_id}) as r:
                r.raise_for_status()
                answer = await r.json()
                key = answer["key"]
                if i and "core_ms" in answer:
                    server_ms.append((answer["core_ms"], answer["commit_and_emit_ms"]))
            await fleet.until(lambda: len(fleet.arrivals.get(key, ())) >= n)
            if i:
                latencies.extend(t - t0 for t in fleet.arrivals[key])
            async with http.post(f"{url}/bench/free", params={"desk": desk_id}) as r:
                r.raise_for_status()
                v = (await r.json())["v"]
            await fleet.until(lambda: min(fleet.versions) >= v)
        if timing is not None and rounds:
            timing["rounds_s"] = time.perf_counter() - started
    rss = sum(rss_kb(p) for p in pids)
    await fleet.close()
    if server_ms:
        print(f"  server side, median: core transaction {statistics.median(c for c, _ in server_ms):.1f} ms, "
              f"commit + display payload + emit to {n} {statistics.median(e for _, e in server_ms):.1f} ms")
    return latencies, rss


def serve(app_spec: str, env: dict, port: int, config: str = "deploy/gunicorn.conf.py") -> subprocess.Popen:
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", config, app_spec], env={**env, "PORT": str(port)},
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(proc.stderr.read().decode()[-2000:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each server, alternated")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        port = free_port()
        env = {**os.environ, "ACCUEIL_INSTANCE": str(instance), "HOST": "127.0.0.1", "PORT": str(port),
               "ACCUEIL_SOCKETS_PER_ADDRESS": "100000",
               "ACCUEIL_THREADS": str(args.clients + 50), "RATELIMIT_ENABLED": "0", "LOG_LEVEL": "warning",
               "PYTHONPATH": str(ROOT)}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        cookie, desk_id = prepare(instance, env, (args.rounds + 1) * args.repeat + 5, displays=args.clients)
        for rep in range(args.repeat):  # alternate the two servers: the machine's noise falls on both
            for name, spec in (("bare python-socketio", "bench.fanout_bare:create()"),
                               ("accueil /display", "bench.fanout_app:create()")):
                proc = serve(spec, env, port)
                try:
                    time.sleep(0.5)
                    pid = worker_pid(proc.pid)
                    idle_rss = rss_kb(pid)
                    latencies, rss = asyncio.run(measure(f"http://127.0.0.1:{port}", cookie, desk_id,
                                                         args.clients, args.rounds, pid))
                finally:
                    proc.terminate()
                    proc.wait(20)
                results.setdefault(name, []).append((latencies, idle_rss, rss))
                print(f"  run {rep + 1} {name:22} p50 {statistics.median(latencies) * 1000:7.1f} ms   "
                      f"p99 {percentile(latencies, 99) * 1000:7.1f} ms   worker RSS {rss / 1024:5.1f} MB", flush=True)
    print(f"clients: {args.clients}  rounds: {args.rounds} x {args.repeat} runs  mode: gunicorn gevent, 1 worker, "
          f"websocket transport, clients on the same machine")
    pooled = {}
    for name, runs in results.items():
        lat = [x for run in runs for x in run[0]]
        pooled[name] = lat
        print(f"{name:22} p50 {statistics.median(lat) * 1000:7.1f} ms   p99 {percentile(lat, 99) * 1000:7.1f} ms   "
              f"max {max(lat) * 1000:7.1f} ms   worker RSS idle {max(r[1] for r in runs) / 1024:5.1f} MB, "
              f"with clients {max(r[2] for r in runs) / 1024:5.1f} MB   ({len(lat)} deliveries)")
    bare, ours = pooled.values()
    print(f"p99 ratio accueil / bare: {percentile(ours, 99) / percentile(bare, 99):.2f}  (target <= 1.30)")
    print(f"p50 ratio accueil / bare: {statistics.median(ours) / statistics.median(bare):.2f}")

if __name__ == "__main__":
    main()
