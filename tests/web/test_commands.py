"""The `accueil` console script and the production server command, run for real."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import socketio
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def accueil(instance: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the `accueil` command in this process (Click's runner): what it prints, and its exit code."""
    from commands import cli

    result = CliRunner().invoke(cli, list(args), input=stdin, env={"ACCUEIL_INSTANCE": str(instance),
                                                                   "DATABASE_URL": None})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(["accueil", *args], result.exit_code, result.stdout, result.stderr)


def accueil_process(instance: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the installed `accueil` console script, as an administrator would."""
    env = {**os.environ, "ACCUEIL_INSTANCE": str(instance)}
    env.pop("DATABASE_URL", None)
    return subprocess.run([str(BIN / "accueil"), *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def instance(tmp_path):
    path = tmp_path / "instance"
    done = accueil(path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    return path


def test_demo_is_idempotent_and_prints_the_logins(instance):
    first = accueil_process(instance, "demo")  # the console script itself, once
    assert first.returncode == 0, first.stderr
    assert "agent.chaumont" in first.stdout and "superviseur.saint-dizier" in first.stdout
    again = accueil(instance, "demo")
    assert "0 élément(s) créé(s)" in again.stdout
    skipped = accueil(instance, "demo", "--if-empty")
    assert "non chargées" in skipped.stdout
    history = accueil(instance, "demo", "--history", "1")
    assert history.returncode == 0 and re.search(r"[1-9]\d* visite\(s\) passée\(s\)", history.stdout), history.stdout
    assert (instance / "data.key").stat().st_mode & 0o777 == 0o600


def test_agent_add_reads_the_password_from_stdin_and_refuses_bad_input(instance):
    accueil(instance, "demo")
    ok = accueil(instance, "agent", "add", "marie.dupont", "--site", "chaumont", "--supervisor",
                 "--password-stdin", stdin="un mot de passe long\n")
    assert ok.returncode == 0, ok.stderr
    assert "marie.dupont" in ok.stdout and "supervisor" in ok.stdout
    for args, stdin, expected in [
        (("marie.dupont", "--site", "chaumont"), "un autre mot de passe\n", "déjà pris"),
        (("paul", "--site", "langres"), "un mot de passe long\n", "n'existe pas"),
        (("paul", "--site", "chaumont"), "court\n", "au moins 10 caractères"),
    ]:
        bad = accueil(instance, "agent", "add", *args, "--password-stdin", stdin=stdin)
        assert bad.returncode == 1 and expected in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr


def test_purge_reports_what_it_erased(instance):
    done = accueil(instance, "purge")
    assert done.returncode == 0 and "0 ticket(s)" in done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_production_server(instance) -> tuple[subprocess.Popen, str]:
    """Start `gunicorn -c deploy/gunicorn.conf.py` on the instance; return it and its address once healthy."""
    port = free_port()
    env = {**os.environ, "ACCUEIL_INSTANCE": str(instance), "PORT": str(port), "HOST": "127.0.0.1"}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "app:create_app()"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):  # up to a minute on a loaded machine
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return server, base
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    pytest.fail("server did not start: " + server.communicate(timeout=30)[0])


def checked_in(instance: Path) -> str:
    """Check a visitor in at Chaumont in the instance's database; return their ticket's link."""
    from sqlmodel import select

    from accueil.checkin import check_in
    from accueil.clock import utcnow
    from accueil.db import Database
    from accueil.identity import Vault, load_data_key
    from accueil.models import Site
    from tests.conftest import make_nir

    db = Database(f"sqlite:///{instance / 'accueil.db'}")
    try:
        with db.write_session() as s:
            site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
            ticket = check_in(s, Vault(load_data_key(str(instance))), site_id=site.id, has_appointment=False,
                              nir=make_nir(1), now=utcnow()).ticket
            s.commit()
        return ticket.public_id
    finally:
        db.dispose()


def test_the_production_server_serves_pages_and_websockets(instance):
    accueil(instance, "demo")
    link = checked_in(instance)
    server, base = start_production_server(instance)
    try:
        assert requests.get(f"{base}/readyz", timeout=5).json() == {"status": "ok"}
        home = requests.get(base, timeout=5)
        assert home.status_code == 200 and "Chaumont" in home.text
        nobody = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):  # the default namespace serves no one
            nobody.connect(base, transports=["websocket"], wait_timeout=10)
        nobody.disconnect()
        phone = socketio.Client(reconnection=False)
        phone.connect(base, namespaces=["/ticket"], auth={"ticket": link}, transports=["websocket"], wait_timeout=10)
        assert phone.transport() == "websocket"
        assert phone.call("snapshot", None, namespace="/ticket", timeout=10)["code"] == "N001"
        phone.disconnect()
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    assert server.returncode == 0, out
    assert "Traceback" not in out


def test_a_stopping_server_finishes_the_request_in_flight(instance):
    """SIGTERM while a request is half sent: the server waits for it, answers it, then exits cleanly."""
    accueil(instance, "demo")
    server, base = start_production_server(instance)
    body = b"login=agent.chaumont&password=" + b"x" * 2000
    host, port = base.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=30) as conn:
            conn.sendall(b"POST /agent/login HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
                         + body[:100])
            time.sleep(1)  # the worker is now reading the form (the CSRF check needs it)
            server.send_signal(signal.SIGTERM)
            time.sleep(1)
            assert server.poll() is None, "the server quit with a request in flight"
            conn.sendall(body[100:])
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 ") and answer.split()[1] in (b"200", b"400"), answer[:200]
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    assert server.returncode == 0, out


def test_appointments_import_reports_counts_and_bad_lines(instance, tmp_path):
    accueil(instance, "demo")
    export = tmp_path / "rdv.csv"
    export.write_text("date;heure;nir;type\n2026-11-26;09:20;295109912611193;guichet\n"
                      "2026-11-26;09:40;295109912611199;guichet\n", encoding="utf-8")
    first = accueil(instance, "appointments", "import", str(export), "--site", "chaumont")
    assert first.returncode == 2  # some lines were refused
    assert "Créés : 1. Modifiés : 0. Inchangés : 0. Refusés : 1." in first.stdout
    assert "ligne 3 : Le numéro est faux" in first.stdout
    assert "295109912611199" not in first.stdout + first.stderr
    again = accueil(instance, "appointments", "import", str(export), "--site", "chaumont")
    assert "Créés : 0. Modifiés : 0. Inchangés : 1. Refusés : 1." in again.stdout


def test_stats_prints_the_figures_for_scripts(instance):
    accueil(instance, "demo")
    text = accueil(instance, "stats", "--site", "chaumont", "--from", "2026-11-01", "--to", "2026-11-30")
    assert text.returncode == 0, text.stderr
    assert "part des visites en 20 min ou moins" in text.stdout
    csv = accueil(instance, "stats", "--site", "chaumont", "--from", "2026-11-01", "--to", "2026-11-30", "--csv")
    assert csv.stdout.splitlines()[0] == "site;du;au;file;tableau;mesure;valeur"
    bad = accueil(instance, "stats", "--site", "chaumont", "--from", "2026-11-30", "--to", "2026-11-01")
    assert bad.returncode == 1 and "la fin est avant le début" in bad.stderr


def test_a_device_is_enrolled_with_its_name(instance):
    assert accueil(instance, "demo").returncode == 0
    nameless = accueil(instance, "device", "enroll", "--site", "chaumont", "--kind", "kiosk")
    assert nameless.returncode == 2 and "--label" in nameless.stderr
    blank = accueil(instance, "device", "enroll", "--site", "chaumont", "--kind", "kiosk", "--label", "  ")
    assert blank.returncode != 0 and "/appareil/" not in blank.stdout
    named = accueil(instance, "device", "enroll", "--site", "chaumont", "--kind", "kiosk", "--label", "Borne de l'entrée")
    assert named.returncode == 0 and "/appareil/" in named.stdout
    assert "Borne de l'entrée" in accueil(instance, "device", "list").stdout
