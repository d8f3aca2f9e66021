"""Scale-out: two real app processes (gevent, the scale-out gunicorn settings) on PostgreSQL share
their events through a real Redis server. A display connected to one sees a call made on the other."""
from __future__ import annotations

import os
import re
import threading

import requests
import socketio
from sqlmodel import select

from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.db import Database
from accueil.devices import create_enrolment, enrol
from accueil.identity import Vault, load_data_key
from accueil.models import Desk, Site
from tests.conftest import make_nir
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
        device, token = create_enrolment(s, site_id=site.id, kind="display", now=utcnow())
        _, credential = enrol(s, token, now=utcnow())
        ticket = check_in(s, vault, site_id=site.id, has_appointment=True, nir=make_nir(1), now=utcnow()).ticket
        desk = s.exec(select(Desk).where(Desk.site_id == site.id, Desk.name == "Bureau 1")).one()
        s.commit()
    db.dispose()

    a, b = AppProcess(env, tmp_path), AppProcess(env, tmp_path)
    received, got_call = [], threading.Event()
    display = socketio.Client()

    @display.on("event", namespace="/display")
    def _event(payload):
        received.append(payload)
        if payload.get("kind") == "called":
            got_call.set()

    try:
        display.connect(a.url, namespaces=["/display"], transports=["websocket"], wait_timeout=20,
                        headers={"Cookie": f"accueil_device={credential}"}, auth={"site": "chaumont"})

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
        call = next(p for p in received if p.get("kind") == "called")
        assert call["call"]["code"] == ticket.code and call["call"]["place"] == "Bureau 1"
    finally:
        display.disconnect()
        logs = a.stop() + b.stop()
    assert "Traceback" not in logs, logs
