"""Self check-in and call-next over HTTP on the production server command, against a bare Flask endpoint.

All three are served by `gunicorn -c deploy/gunicorn.conf.py` (one process, gevent) on a fresh
SQLite instance, one after the other in the same run, and loaded by wrk (Debian's `wrk`, a load
generator in C, so the generator does not eat the core it measures):

- **check-in**: `--connections` connections (20), `bench/wrk/checkin.lua`: every request POSTs the
  kiosk form with a new valid NIR, on phone sessions that scanned the kiosk's QR code beforehand;
- **call-next**: `--agents` agents (6), one connection each, `bench/wrk/call_next.lua`: call the next
  visitor, mark them absent, again (each answer counts; the queue holds thousands of tickets);
- **bare**: the same check-in script on `bare_app.py`, an endpoint that reads the form and redirects.

Rate limiting is off (RATELIMIT_ENABLED=0): the limits would otherwise stop one address at once.
After the check-in run, the database is read: every answered check-in is one ticket, no number twice.

    .venv/bin/python bench/checkin_http.py [--connections 20] [--agents 6] [--seconds 15]

Prints requests/s, p50 and p99 of each, and the ratios to the bare endpoint; also the server's CPU
time per answered request, and the bare endpoint's over it (steadier on a shared machine). Targets (issue 18):
check-in >= 0.25x the bare endpoint's requests/s and p99 < 150 ms at 20 connections.

`checkins()` and `load()` (Python threads, one phone session each) stay for bench/scaleout.py,
which spreads phones over several processes.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
TREE = Path(os.environ.get("ACCUEIL_BENCH_TREE") or ROOT)
"""The code under test (bench/checkin_ab.py points it at an older revision); the bench's own files stay ROOT's."""
sys.path.insert(0, str(TREE))

from stdnum.fr import nir as stdnum_nir  # noqa: E402

from accueil.clock import utcnow  # noqa: E402
from accueil.presence import PresenceCodes  # noqa: E402

BIN = Path(sys.executable).parent


def nir(i: int) -> str:
    """Return a valid NIR, a distinct one for each i below 59,940,000 (a repeat would get its ticket back)."""
    within, year, dept = i % 11988, i // 11988 % 100, 75 - i // 1198800 % 50
    body = f"1{year:02d}{within % 12 + 1:02d}{dept:02d}056{within // 12 + 1:03d}"
    return body + stdnum_nir.calc_check_digits(body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: str, env: dict, config: str = "deploy/gunicorn.conf.py") -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = env | {"HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "warning",
                 "ACCUEIL_CONTROL_SOCKET": str(Path(env["ACCUEIL_INSTANCE"]) / f"gunicorn-{port}.ctl")}
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(TREE / config), target],
                            cwd=TREE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(url + "/healthz", timeout=5)
            return proc, url
        except (requests.ConnectionError, requests.Timeout):
            if proc.poll() is not None:
                raise SystemExit(proc.stderr.read().decode())
            time.sleep(0.05)
    raise SystemExit("the server did not start")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(20)


def load(clients: int, seconds: float, prepare, request, rate: float | None = None) -> tuple[float, list[float], int]:
    """Run *clients* threads for *seconds*; return requests/s, latencies (s) and failures.

    Closed loop by default (each client sends again as soon as answered: the throughput). With *rate*,
    open loop: the clients together send *rate* requests/s on a fixed schedule, and a latency runs from
    the scheduled time (a late answer delays the next send, and that wait counts too).
    """
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    states = [prepare(c) for c in range(clients)]
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def run(c):
        http = requests.Session()
        barrier.wait()
        k = 0
        while time.perf_counter() < deadline[0]:
            start = time.perf_counter()
            if rate:
                start = deadline[0] - seconds + (k * clients + c) / rate
                if start >= deadline[0]:
                    break
                time.sleep(max(0.0, start - time.perf_counter()))
            ok = request(http, states[c], c, k)
            latencies[c].append(time.perf_counter() - start)
            failures[c] += not ok
            k += 1

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds
    start = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    flat = sorted(x for per in latencies for x in per)
    return len(flat) / elapsed, flat, sum(failures)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def phone_session(url: str, codes: PresenceCodes) -> tuple[str, str]:
    """Scan the kiosk's QR code and open the check-in form: the phone's session cookie and CSRF token."""
    http = requests.Session()
    scan = http.get(f"{url}/k/chaumont/{codes.issue(1, now=utcnow())}", allow_redirects=False)
    assert scan.status_code == 303, scan.status_code
    page = http.get(f"{url}/k/chaumont", params={"rdv": "non"})
    return f"session={http.cookies['session']}", csrf_of(page.text)


def checkins(urls: list[str], clients: int, seconds: float, secret: str,
             rate: float | None = None) -> tuple[float, list[float], int]:
    """Load the product's check-in; phone c stays on urls[c % len(urls)] (nginx's sticky sessions)."""
    codes = PresenceCodes(secret)

    def prepare(c):
        url = urls[c % len(urls)]
        cookie, token = phone_session(url, codes)
        return {"url": url, "cookie": cookie, "csrf": token}

    def checkin(http, state, c, k):
        r = http.post(f"{state['url']}/k/chaumont", allow_redirects=False,
                      headers={"Cookie": state["cookie"]},
                      data={"csrf_token": state["csrf"], "rdv": "non", "once": f"{c}-{k}",
                            "nir": nir(c * 100000 + k), "phone": "06 12 34 56 78"})
        return r.status_code == 303 and r.headers["Location"].startswith("/ticket/")

    return load(clients, seconds, prepare, checkin, rate)


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


WRK = ROOT / "bench" / "wrk"


def cpu_seconds(proc: subprocess.Popen) -> float:
    """CPU time (user + system) the gunicorn master *proc* and its workers have used so far."""
    pids = [str(proc.pid)] + subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                            text=True).stdout.split()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(url: str, script: str, args: list[str], connections: int, threads: int, seconds: float,
        server: subprocess.Popen | None = None) -> dict:
    """Run wrk with *script* against *url*; return its JSON summary (see bench/wrk/*.lua).

    With *server*, also the server's CPU time per answered request (``cpu_us``): steadier than
    requests/s on a shared machine, where the server does not always get its core.
    """
    cpu = cpu_seconds(server) if server is not None else 0.0
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
                          "-s", str(WRK / script), url, "--", *args], capture_output=True, text=True, check=True)
    cpu = cpu_seconds(server) - cpu if server is not None else float("nan")
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    seconds_run = summary["duration_us"] / 1e6
    failed = sum(summary[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {"rps": (summary["requests"] - failed) / seconds_run, "p50": summary["p50_us"] / 1000,
            "p99": summary["p99_us"] / 1000, "failed": failed, "requests": summary["requests"],
            "cpu_us": cpu * 1e6 / max(1, summary["requests"] - failed)}


def phone_sessions(url: str, secret: str, count: int, path: Path) -> Path:
    """Scan the kiosk's QR code *count* times; write "cookie<TAB>csrf" lines for wrk."""
    codes = PresenceCodes(secret)
    path.write_text("".join("\t".join(phone_session(url, codes)) + "\n" for _ in range(count)))
    return path


BENCH_PASSWORD = "banc d'essai 2026"


def seed_agents(instance: Path, agents: int, tickets: int) -> list[tuple[str, int]]:
    """Add *agents* agents and desks serving queue R at Chaumont, and *tickets* waiting there (core, no HTTP)."""
    from sqlmodel import select

    from accueil.agents import add_agent
    from accueil.checkin import check_in
    from accueil.configuration import create_desk
    from accueil.db import Database
    from accueil.identity import Vault, load_data_key
    from accueil.models import Queue, Site

    db = Database(f"sqlite:///{instance / 'accueil.db'}")
    vault = Vault(load_data_key(str(instance)))
    made = []
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        queue = s.exec(select(Queue).where(Queue.site_id == site.id, Queue.letter == "R")).one()
        for a in range(agents):
            desk = create_desk(s, site_id=site.id, name=f"Banc {a + 1}", queue_ids=[queue.id], capabilities=[],
                               now=utcnow())
            add_agent(s, login=f"banc{a + 1}", site_id=site.id, password=BENCH_PASSWORD)
            made.append((f"banc{a + 1}", desk.id))
        s.commit()
        for i in range(tickets):
            check_in(s, vault, site_id=site.id, has_appointment=True, nir=nir(50_000_000 + i), now=utcnow())
        s.commit()
    db.dispose()
    return made


def agent_sessions(url: str, agents: list[tuple[str, int]], path: Path) -> Path:
    """Log each agent in and take their desk; write "cookie<TAB>csrf" lines for wrk."""
    lines = []
    for login, desk_id in agents:
        http = requests.Session()
        token = csrf_of(http.get(f"{url}/agent/login").text)
        r = http.post(f"{url}/agent/login", data={"csrf_token": token, "login": login, "password": BENCH_PASSWORD},
                      allow_redirects=False)
        assert r.status_code == 303, r.status_code
        token = csrf_of(http.get(f"{url}/agent/").text)
        r = http.post(f"{url}/agent/desk", data={"csrf_token": token, "desk_id": desk_id},
                      headers={"X-Requested-With": "fetch"})
        assert r.status_code == 200, r.text
        lines.append(f"session={http.cookies['session']}\t{token}")
    path.write_text("\n".join(lines) + "\n")
    return path


def ticket_numbers(instance: Path) -> tuple[int, int]:
    """Return the walk-in tickets of the database and how many numbers among them are given twice."""
    import sqlite3

    con = sqlite3.connect(instance / "accueil.db")
    try:
        total = con.execute("SELECT COUNT(*) FROM ticket WHERE letter = 'N'").fetchone()[0]
        twice = con.execute("SELECT COUNT(*) - COUNT(DISTINCT site_id || '/' || service_day || '/' || letter || number)"
                            " FROM ticket WHERE letter = 'N'").fetchone()[0]
    finally:
        con.close()
    return total, twice


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--agents", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads for the check-in and the bare endpoint")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: run scripts/system-packages.sh (Debian's wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="accueil-bench-"))
    secret = secrets.token_urlsafe(32)
    env = dict(os.environ) | {"ACCUEIL_INSTANCE": str(tmp), "RATELIMIT_ENABLED": "0", "SECRET_KEY": secret}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    results = {}
    try:
        subprocess.run([str(BIN / "accueil"), "db", "upgrade"], cwd=TREE, env=env, check=True, capture_output=True)
        subprocess.run([str(BIN / "accueil"), "demo"], cwd=TREE, env=env, check=True, capture_output=True)
        agents = seed_agents(tmp, args.agents, tickets=int(400 * args.seconds))
        before, _ = ticket_numbers(tmp)

        proc, url = serve("app:create_app()", env)
        try:
            phones = phone_sessions(url, secret, args.connections, tmp / "phones.tsv")
            results["check-in"] = wrk(url, "checkin.lua", ["/k/chaumont", str(phones)], args.connections,
                                      args.threads, args.seconds, proc)
            desks = agent_sessions(url, agents, tmp / "agents.tsv")
            results["call-next"] = wrk(url, "call_next.lua", [str(desks)], len(agents), len(agents), args.seconds,
                                       proc)
        finally:
            stop(proc)
        after, twice = ticket_numbers(tmp)

        proc, url = serve("bench.bare_app:app", env)
        try:
            results["bare Flask"] = wrk(url, "checkin.lua", ["/bare", "-"], args.connections, args.threads,
                                        args.seconds, proc)
        finally:
            stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"wrk, {args.seconds:g} s each, gunicorn -c deploy/gunicorn.conf.py (1 gevent process), SQLite")
    print(f"{'':12}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}{'x bare':>8}"
          f"{'CPU us/req':>12}{'bare/CPU':>10}")
    bare, bare_cpu = results["bare Flask"]["rps"], results["bare Flask"]["cpu_us"]
    for name, conns in (("check-in", args.connections), ("call-next", len(agents)), ("bare Flask", args.connections)):
        r = results[name]
        print(f"{name:12}{conns:6}{r['rps']:9.0f}{r['p50']:9.1f}{r['p99']:9.1f}{r['failed']:8}{r['rps'] / bare:8.3f}"
              f"{r['cpu_us']:12.0f}{bare_cpu / r['cpu_us']:10.3f}")
    print("(CPU us/req: the server's CPU time per answered request; bare/CPU: the bare endpoint's over this one's)")
    answered = results["check-in"]["requests"] - results["check-in"]["failed"]
    # wrk stops counting at the deadline: requests still in flight then (one per connection at most) are
    # served and stored but not counted.
    print(f"check-in: {after - before} tickets stored for {answered} answered requests (+ up to {args.connections} "
          f"in flight at the end), {twice} numbers given twice")
    print(f"targets: check-in >= 0.25x bare ({results['check-in']['rps'] / bare:.3f}), "
          f"p99 < 150 ms ({results['check-in']['p99']:.0f} ms)")


if __name__ == "__main__":
    main()
