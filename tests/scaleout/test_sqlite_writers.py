"""SQLite under the gevent server: another process holding the write lock never fails a check-in.

In the server's process SQLite never waits for its lock inside C (that would freeze every socket):
a busy BEGIN is retried after a cooperative sleep (accueil/db.py). Here an `accueil appointments
import` runs again and again in its own process, each holding the write lock while it stores
thousands of appointments, while visitors check in through the kiosk's form on the real server.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import threading
import time

import requests
from stdnum.fr import nir as stdnum_nir

from accueil.clock import utcnow
from accueil.presence import PresenceCodes
from tests.conftest import make_nir
from tests.scaleout.servers import BIN, EMBEDDED, ROOT, AppProcess, prepare_instance

SECONDS = 6
VISITORS = 4


def appointments_file(path, n: int = 2000) -> None:
    day = dt.date.today().isoformat()
    rows = ["date;heure;nir;type"]
    for i in range(n):
        body = f"2{80 + i % 20:02d}{i % 12 + 1:02d}13{i // 12 % 999 + 1:03d}{i % 900 + 100:03d}"
        rows.append(f"{day};{8 + i % 9:02d}:{i % 60:02d};{body + stdnum_nir.calc_check_digits(body)};guichet")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_check_ins_go_through_while_a_command_holds_the_write_lock_again_and_again(tmp_path):
    instance = tmp_path / "instance"
    secret = "s" * 43
    env = {**os.environ, "ACCUEIL_INSTANCE": str(instance), "RATELIMIT_ENABLED": "0", "SECRET_KEY": secret}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    prepare_instance(env)
    csv = tmp_path / "rdv.csv"
    appointments_file(csv)
    server = AppProcess(env, tmp_path, config=EMBEDDED)
    stop, imports, answers = threading.Event(), [], []

    def importer():
        while not stop.is_set():
            done = subprocess.run([str(BIN / "accueil"), "appointments", "import", str(csv), "--site", "chaumont"],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
            imports.append(done.returncode)

    def visitor(v: int):
        http = requests.Session()
        scan = http.get(f"{server.url}/k/chaumont/{PresenceCodes(secret).issue(1, now=utcnow())}",
                        allow_redirects=False, timeout=30)
        assert scan.status_code == 303
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          http.get(f"{server.url}/k/chaumont", params={"rdv": "non"}, timeout=30).text).group(1)
        cookie = f"session={http.cookies['session']}"
        k = 0
        while not stop.is_set():
            r = requests.post(f"{server.url}/k/chaumont", allow_redirects=False, timeout=30,
                              headers={"Cookie": cookie},
                              data={"csrf_token": token, "rdv": "non", "once": f"{v}-{k}",
                                    "nir": make_nir(1000 * v + k), "phone": "06 12 34 56 78"})
            answers.append(r.status_code)
            k += 1

    threads = [threading.Thread(target=importer)] + [threading.Thread(target=visitor, args=(v,))
                                                     for v in range(VISITORS)]
    try:
        for t in threads:
            t.start()
        time.sleep(SECONDS)
    finally:
        stop.set()
        for t in threads:
            t.join(120)
        logs = server.stop()
    assert imports and set(imports) <= {0}, imports  # the command itself succeeded every time
    assert answers and set(answers) == {303}, sorted(set(answers))  # every check-in got its ticket
    assert "locked" not in logs and "Traceback" not in logs, logs
