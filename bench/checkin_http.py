"""Self check-in over HTTP on the production server command, against a bare Flask endpoint.

Both are served by `gunicorn -c deploy/gunicorn.conf.py` (one process, gevent) on a fresh
SQLite instance, one after the other in the same run, and loaded by the same generator:
CLIENTS threads, each with its own phone session (a valid kiosk scan, a CSRF token), each
POSTing check-ins with a new NIR as fast as answers come. Rate limiting is off
(RATELIMIT_ENABLED=0): the limits would otherwise stop one address at once.

    .venv/bin/python bench/checkin_http.py [--clients 50] [--seconds 10]

Prints requests/s, p50 and p99 of both, and the ratio. Target: check-in >= 0.5x the bare
endpoint's requests/s and p99 < 100 ms at 50 clients on a 2-core machine.
"""
from __future__ import annotations

import argparse
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
sys.path.insert(0, str(ROOT))

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
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(ROOT / config), target],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
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


def checkins(urls: list[str], clients: int, seconds: float, secret: str,
             rate: float | None = None) -> tuple[float, list[float], int]:
    """Load the product's check-in; phone c stays on urls[c % len(urls)] (nginx's sticky sessions)."""
    codes = PresenceCodes(secret)

    def prepare(c):
        url = urls[c % len(urls)]
        http = requests.Session()
        scan = http.get(f"{url}/k/chaumont/{codes.issue(1, now=utcnow())}", allow_redirects=False)
        assert scan.status_code == 303, scan.status_code
        page = http.get(f"{url}/k/chaumont", params={"rdv": "non"})
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return {"url": url, "cookie": f"session={http.cookies['session']}", "csrf": token}

    def checkin(http, state, c, k):
        r = http.post(f"{state['url']}/k/chaumont", allow_redirects=False,
                      headers={"Cookie": state["cookie"]},
                      data={"csrf_token": state["csrf"], "rdv": "non", "once": f"{c}-{k}",
                            "nir": nir(c * 100000 + k), "phone": "06 12 34 56 78"})
        return r.status_code == 303 and r.headers["Location"].startswith("/ticket/")

    return load(clients, seconds, prepare, checkin, rate)


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=float, default=None,
                    help="open loop: this many requests/s in all, on a schedule (latency, not throughput)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="accueil-bench-"))
    secret = secrets.token_urlsafe(32)
    env = dict(os.environ) | {"ACCUEIL_INSTANCE": str(tmp), "RATELIMIT_ENABLED": "0", "SECRET_KEY": secret,
                              "ACCUEIL_THREADS": str(max(200, args.clients + 20))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    try:
        subprocess.run([str(BIN / "accueil"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([str(BIN / "accueil"), "demo"], cwd=ROOT, env=env, check=True, capture_output=True)

        # --- check-in on the product ---------------------------------------------------
        proc, url = serve("app:create_app()", env)
        try:
            checkin_rps, checkin_lat, checkin_fail = checkins([url], args.clients, args.seconds, secret, args.rate)
        finally:
            stop(proc)

        # --- the bare endpoint, served the same way ------------------------------------
        proc, url = serve("bench.bare_app:app", env)
        try:
            def bare(http, state, c, k):
                r = http.post(f"{url}/bare", allow_redirects=False,
                              data={"csrf_token": "x" * 90, "rdv": "non", "once": f"{c}-{k}",
                                    "nir": nir(c * 100000 + k), "phone": "06 12 34 56 78"})
                return r.status_code == 303

            bare_rps, bare_lat, bare_fail = load(args.clients, args.seconds, lambda c: None, bare, args.rate)
        finally:
            stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    mode = f"open loop, {args.rate:g} requests/s in all" if args.rate else "closed loop"
    print(f"{args.clients} clients ({mode}), {args.seconds:g} s each, gunicorn -c deploy/gunicorn.conf.py, SQLite")
    print(f"{'':18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}")
    print(f"{'check-in':18}{checkin_rps:9.0f}{pct(checkin_lat, .5):9.1f}{pct(checkin_lat, .99):9.1f}{checkin_fail:8}")
    print(f"{'bare Flask':18}{bare_rps:9.0f}{pct(bare_lat, .5):9.1f}{pct(bare_lat, .99):9.1f}{bare_fail:8}")
    if args.rate:
        print(f"p99 ratio check-in / bare: {pct(checkin_lat, .99) / pct(bare_lat, .99):.2f};  check-in p99 "
              f"{pct(checkin_lat, .99):.1f} ms (target < 100 ms)")
    else:
        # Little's law: with N clients always waiting, mean latency = N / throughput, whatever the code.
        print(f"ratio check-in / bare: {checkin_rps / bare_rps:.2f}  (target >= 0.5);  closed-loop latency is "
              f"bounded below by clients / throughput: run --rate for the latency")


if __name__ == "__main__":
    main()
