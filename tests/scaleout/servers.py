"""Real app processes for the scale-out and crash tests: gunicorn started, killed and restarted."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlmodel import select

from accueil.clock import utcnow
from accueil.db import Database
from accueil.devices import create_enrolment, enrol
from accueil.models import Site
from tests.web.test_commands import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EMBEDDED = "deploy/gunicorn.conf.py"        # one process, gthread, SQLite
SCALEOUT = "deploy/gunicorn-scaleout.conf.py"  # one of N processes, gevent, PostgreSQL, Redis


def prepare_instance(env: dict) -> None:
    """Create the schema and the demo data with the `accueil` command, as an operator would."""
    for args in (("db", "upgrade"), ("demo",)):
        done = subprocess.run([str(BIN / "accueil"), *args], env={**env, "ACCUEIL_ASYNC_MODE": "threading"},
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr


def enrol_display(db: Database, slug: str = "chaumont") -> str:
    """Enrol a waiting-room screen for site *slug*; return its device cookie value."""
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        _, token = create_enrolment(s, site_id=site.id, kind="display", label="Test", now=utcnow())
        _, credential = enrol(s, token, now=utcnow())
        s.commit()
    return credential


class AppProcess:
    """One gunicorn (master and its single worker) in its own process group, logging to a file.

    start() again after kill() serves the same database on the same port: a restart.
    """

    def __init__(self, env: dict, tmp: Path, config: str = SCALEOUT, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = config
        self.log = tmp / f"gunicorn-{self.port}.log"
        self.env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port),
                    "ACCUEIL_CONTROL_SOCKET": str(tmp / f"gunicorn-{self.port}.ctl")}
        self.popen: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.popen = subprocess.Popen([str(BIN / "gunicorn"), "-c", self.config, "app:create_app()"],
                                          cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        for _ in range(300):
            try:
                if requests.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.popen.poll() is not None:
                break
            time.sleep(0.2)
        self.kill()
        raise AssertionError("process did not start:\n" + self.logs())

    def kill(self) -> None:
        """SIGKILL the master and its worker at once, as a crash or the OOM killer would."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(30)

    def stop(self) -> str:
        """Stop gracefully (SIGTERM) and return everything the process logged."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.logs()

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
