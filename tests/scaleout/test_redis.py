"""Scale-out: two real app processes (gevent, the scale-out gunicorn settings) on PostgreSQL share
their events through a real Redis server. A display connected to one sees a call made on the other."""
from __future__ import annotations

import os
import re
import threading
from zoneinfo import ZoneInfo

import requests
import socketio
from sqlmodel import select

from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.db import Database
from accueil.devices import create_enrolment, enrol
from accueil.identity import Vault, load_data_key
from accueil.models import Desk, Site
from tests.conftest import later_today, make_nir
from tests.scaleout.servers import AppProcess, prepare_instance


def test_a_call_on_one_process_reaches_a_display_on_the_other(postgres, redis_server, tmp_path):
    url = postgres.create_database()
    instance = tmp_path / "instance"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_server.url, "ACCUEIL_INSTANCE": str(instance),
           "ACCUEIL_ASYNC_MODE": "gevent", "RATELIMIT_ENABLED": "0"}
    prepare_instance(env)

    db = Database(url)
    vault = Vault(load_data_key(str(instance)))
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        device, token = create_enrolment(s, site_id=site.id, kind="display", label="Test", now=utcnow())
        _, credential = enrol(s, token, now=utcnow())
        ticket = check_in(s, vault, site_id=site.id, has_appointment=True, nir=make_nir(1), now=utcnow()).ticket
        desk = s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == "Bureau 1")).one()
        s.commit()
    db.dispose()

    a, b = AppProcess(env, tmp_path), AppProcess(env, tmp_path)
    received, got_call = [], threading.Event()
    display = socketio.Client()
    phone, phone_events, phone_called = socketio.Client(), [], threading.Event()

    @phone.on("event", namespace="/ticket")
    def _phone_event(payload):
        phone_events.append(payload)
        if payload.get("status") == "called":
            phone_called.set()

    @display.on("event", namespace="/display")
    def _event(payload):
        received.append(payload)
        if payload["calls"]:
            got_call.set()

    try:
        display.connect(a.url, namespaces=["/display"], transports=["websocket"], wait_timeout=20,
                        headers={"Cookie": f"accueil_device={credential}"}, auth={"site": "chaumont"})
        # The visitor's phone holds its ticket page on process A too.
        phone.connect(a.url, namespaces=["/ticket"], transports=["websocket"], wait_timeout=20,
                      auth={"ticket": ticket.public_id})

        agent = requests.Session()
        page = agent.get(f"{b.url}/agent/login", timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        login = agent.post(f"{b.url}/agent/login", timeout=10, data={
            "csrf_token": csrf, "login": "agent.chaumont", "password": "demo-agent-chaumont"})
        assert login.status_code == 200 and "/agent/login" not in login.url
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', agent.get(f"{b.url}/agent/", timeout=10).text).group(1)
        json = {"Accept": "application/json"}
        taken = agent.post(f"{b.url}/agent/desk", data={"csrf_token": csrf, "desk_id": desk.id}, headers=json, timeout=10)
        assert taken.status_code == 200, taken.text
        called = agent.post(f"{b.url}/agent/call-next", data={"csrf_token": csrf, "key": "k" * 32}, headers=json,
                            timeout=10)
        assert called.status_code == 200 and called.json()["ticket"] == ticket.code, called.text

        assert got_call.wait(15), f"the display on process A never saw the call made on B: {received}"
        call = next(c for p in received for c in p["calls"])
        assert (call["code"], call["place"], call["kind"]) == (ticket.code, "Bureau 1", "called")
        assert phone_called.wait(15), f"the phone on process A never heard its call made on B: {phone_events}"
        mine = next(p for p in phone_events if p.get("status") == "called")
        assert mine["desk"] == "Bureau 1" and mine["ahead"] is None
    finally:
        display.disconnect()
        phone.disconnect()
        logs = a.stop() + b.stop()
    assert "Traceback" not in logs, logs


def test_an_import_on_the_command_line_reaches_consoles_and_screens_through_redis(postgres, redis_server, tmp_path):
    """`accueil appointments import` runs in its own process: its change still reaches live clients."""
    import subprocess

    from tests.scaleout.servers import BIN, ROOT, enrol_display

    url = postgres.create_database()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_server.url,
           "ACCUEIL_INSTANCE": str(tmp_path / "instance"), "ACCUEIL_ASYNC_MODE": "gevent", "RATELIMIT_ENABLED": "0"}
    prepare_instance(env)
    db = Database(url)
    credential = enrol_display(db)
    db.dispose()
    server = AppProcess(env, tmp_path)
    agent = requests.Session()
    page = agent.get(f"{server.url}/agent/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    agent.post(f"{server.url}/agent/login", timeout=10, data={
        "csrf_token": csrf, "login": "agent.chaumont", "password": "demo-agent-chaumont"})
    refreshed, snapshots = threading.Event(), []
    console, display = socketio.Client(), socketio.Client()
    console.on("event", lambda payload: refreshed.set(), namespace="/agent")
    display.on("snapshot", lambda payload: snapshots.append(payload["v"]), namespace="/display")
    display.on("event", lambda payload: snapshots.append(payload["v"]), namespace="/display")
    try:
        # The day's appointments page (a "region" page of the console) follows imports.
        console.connect(server.url, namespaces=["/agent"], transports=["websocket"], wait_timeout=20,
                        headers={"Cookie": f"session={agent.cookies['session']}"}, auth={"page": "region"})
        display.connect(server.url, namespaces=["/display"], transports=["websocket"], wait_timeout=20,
                        headers={"Cookie": f"accueil_device={credential}"}, auth={"site": "chaumont"})
        start = threading.Event()
        start.wait(1)  # the connect snapshots first
        before = list(snapshots)
        soon = later_today(60).astimezone(ZoneInfo("Europe/Paris"))  # the file holds the office's clock
        csv_file = tmp_path / "rdv.csv"
        csv_file.write_text("date;heure;nir;type\n"
                            f"{soon:%Y-%m-%d};{soon:%H:%M};{make_nir(3)};guichet\n", encoding="utf-8")
        done = subprocess.run([str(BIN / "accueil"), "appointments", "import", str(csv_file), "--site", "chaumont"],
                              env={**env, "ACCUEIL_ASYNC_MODE": "threading"}, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0 and "Créés : 1." in done.stdout, done.stderr
        assert refreshed.wait(15), "the appointments page never heard of the import"
        for _ in range(50):
            if len(snapshots) > len(before):
                break
            start.wait(0.2)
        assert len(snapshots) > len(before) and snapshots[-1] > max(before, default=-1)
    finally:
        console.disconnect()
        display.disconnect()
        logs = server.stop()
    assert "Traceback" not in logs, logs


def test_an_access_ended_on_one_process_closes_the_sockets_held_on_the_other(postgres, redis_server, tmp_path):
    """A revoked screen (from the command line), a logged-out agent and a finished visit (on process B)
    close their sockets held on process A at once: no client asked anything, nothing polled."""
    import subprocess

    from tests.scaleout.servers import BIN, ROOT

    url = postgres.create_database()
    instance = tmp_path / "instance"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_server.url, "ACCUEIL_INSTANCE": str(instance),
           "RATELIMIT_ENABLED": "0"}
    prepare_instance(env)
    db = Database(url)
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        device, token = create_enrolment(s, site_id=site.id, kind="display", label="Test", now=utcnow())
        _, credential = enrol(s, token, now=utcnow())
        ticket = check_in(s, Vault(load_data_key(str(instance))), site_id=site.id, has_appointment=False,
                          nir=make_nir(2), now=utcnow()).ticket
        desk = s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == "Espace numérique")).one()
        s.commit()
    a, b = AppProcess(env, tmp_path), AppProcess(env, tmp_path)
    gone = {name: threading.Event() for name in ("display", "phone", "console")}
    clients = {name: socketio.Client(reconnection=False) for name in gone}
    for name, client in clients.items():
        client.on("disconnect", lambda *args, n=name: gone[n].set(), namespace=f"/{'agent' if name == 'console' else 'ticket' if name == 'phone' else 'display'}")
    agent = requests.Session()
    try:
        page = agent.get(f"{b.url}/agent/login", timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        agent.post(f"{b.url}/agent/login", timeout=10, data={
            "csrf_token": csrf, "login": "agent.chaumont", "password": "demo-agent-chaumont"})
        clients["display"].connect(a.url, namespaces=["/display"], transports=["websocket"], wait_timeout=20,
                                   headers={"Cookie": f"accueil_device={credential}"}, auth={"site": "chaumont"})
        clients["phone"].connect(a.url, namespaces=["/ticket"], transports=["websocket"], wait_timeout=20,
                                 auth={"ticket": ticket.public_id})
        clients["console"].connect(a.url, namespaces=["/agent"], transports=["websocket"], wait_timeout=20,
                                   headers={"Cookie": f"session={agent.cookies['session']}"})

        revoked = subprocess.run([str(BIN / "accueil"), "device", "revoke", str(device.id)], env=env, cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
        assert revoked.returncode == 0, revoked.stderr
        assert gone["display"].wait(5), "the revoked screen's socket on A stayed open"

        csrf = re.search(r'name="csrf_token" value="([^"]+)"', agent.get(f"{b.url}/agent/", timeout=10).text).group(1)
        json = {"Accept": "application/json", "X-CSRFToken": csrf}
        assert agent.post(f"{b.url}/agent/desk", data={"desk_id": desk.id}, headers=json, timeout=10).ok
        for action in ("call", "cancel"):  # the agent on B calls the visitor, then cancels the ticket
            done = agent.post(f"{b.url}/agent/tickets/{ticket.id}/{action}", data={"key": (action * 20)[:32]},
                              headers=json, timeout=10)
            assert done.status_code == 200, done.text
        assert gone["phone"].wait(5), "the ended ticket's phone on A stayed open"
        assert not gone["console"].is_set()

        assert agent.post(f"{b.url}/agent/logout", data={"csrf_token": csrf}, timeout=10,
                          allow_redirects=False).status_code == 303
        assert gone["console"].wait(5), "the logged-out agent's console on A stayed open"
    finally:
        for client in clients.values():
            client.disconnect()
        db.dispose()
        logs = a.stop() + b.stop()
    assert "Traceback" not in logs, logs
