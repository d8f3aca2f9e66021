"""One process of the embedded default (gunicorn, gevent, SQLite) holds a busy waiting room.

Real python-socketio clients: 300 admitted (phones with a ticket each, enrolled displays, signed-in
consoles), more than the 200 the former threaded server could hold at all, beside anonymous ones.
The anonymous are refused or closed, HTTP answers while everyone is connected, and one call at a
console reaches every admitted client. Speed is the benchmark's business (bench/live_capacity.py):
nothing here is timed beyond a bound on failure.
"""
from __future__ import annotations

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import requests
import socketio
from sqlmodel import select

from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.db import Database
from accueil.demo import demo_password
from accueil.identity import Vault, load_data_key
from accueil.models import Desk, Site
from tests.scaleout.servers import EMBEDDED, AppProcess, enrol_display, prepare_instance

PHONES, DISPLAYS, CONSOLES, ANONYMOUS = 290, 5, 5, 30
WAIT = 60


def login(base: str, who: str) -> requests.Session:
    http = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(f"{base}/agent/login", timeout=WAIT).text).group(1)
    r = http.post(f"{base}/agent/login", data={"csrf_token": token, "login": f"{who}.chaumont",
                                              "password": demo_password("chaumont", who)}, timeout=WAIT)
    assert r.ok and "/agent/login" not in r.url
    http.headers["X-CSRFToken"] = re.search(r'name="csrf_token" value="([^"]+)"',
                                            http.get(f"{base}/agent/", timeout=WAIT).text).group(1)
    http.headers["Accept"] = "application/json"
    return http


async def crowd(base: str, links: list[str], screens: list[str], consoles: list[str], agent: requests.Session,
                desk_id: int) -> dict:
    heard: dict[str, asyncio.Event] = {}
    clients = []

    def client(name: str, namespace: str, **connect) -> None:
        c = socketio.AsyncClient(reconnection=False)
        heard[name] = asyncio.Event()
        c.on("event", lambda data, n=name: heard[n].set(), namespace=namespace)
        clients.append((c, dict(namespaces=[namespace], transports=["websocket"], wait_timeout=WAIT, **connect)))

    for i, link in enumerate(links):
        client(f"phone{i}", "/ticket", auth={"ticket": link})
    for i, cookie in enumerate(screens):
        client(f"display{i}", "/display", auth={"site": "chaumont"}, headers={"Cookie": f"accueil_device={cookie}"})
    for i, cookie in enumerate(consoles):
        client(f"console{i}", "/agent", headers={"Cookie": cookie})
    for start in range(0, len(clients), 50):
        await asyncio.gather(*(c.connect(base, **kw) for c, kw in clients[start:start + 50]))

    refused = 0
    for i in range(ANONYMOUS):  # nothing served on "/", no ticket on "/ticket", a forged one
        stranger = socketio.AsyncClient(reconnection=False)
        namespace, auth = [("/", None), ("/ticket", None), ("/ticket", {"ticket": "x" * 32})][i % 3]
        try:
            await stranger.connect(base, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=WAIT)
        except socketio.exceptions.ConnectionError:
            refused += 1
        await stranger.disconnect()
    idle_closed = 0
    async with aiohttp.ClientSession() as http:  # transports that never join a namespace
        idle = [await http.ws_connect(base.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
                for _ in range(ANONYMOUS)]
        pages = [(await http.get(f"{base}{path}")).status for path in ("/healthz", "/kiosk/chaumont", "/agent/login")
                 for _ in range(5)]
        for ws in idle:
            async for msg in ws:  # the open packet, then the server closes it (2 s here)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
            idle_closed += ws.closed

        called = await asyncio.to_thread(agent.post, f"{base}/agent/call-next", data={"key": "c" * 32}, timeout=WAIT)
        assert called.status_code == 200, called.text
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in heard.values())), WAIT)
    connected = sum(c.connected for c, _ in clients)
    await asyncio.gather(*(c.disconnect() for c, _ in clients))
    return {"connected": connected, "heard": sum(e.is_set() for e in heard.values()), "refused": refused,
            "idle_closed": idle_closed, "pages": pages}


def test_one_process_holds_300_live_clients_refuses_strangers_and_keeps_answering(tmp_path):
    instance = tmp_path / "instance"
    env = {**os.environ, "ACCUEIL_INSTANCE": str(instance), "RATELIMIT_ENABLED": "0", "ACCUEIL_JOIN_WITHIN": "2"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    prepare_instance(env)
    db = Database(f"sqlite:///{instance / 'accueil.db'}")
    vault = Vault(load_data_key(str(instance)))
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        desk_id = s.exec(select(Desk.id).where(Desk.site_id == site.id, Desk.name == "Bureau 1")).one()
        # One more ticket than phones: the call takes the first, and every phone moves up one place.
        links = [check_in(s, vault, site_id=site.id, has_appointment=True, nir=None, now=utcnow()).ticket.public_id
                 for _ in range(PHONES + 1)][1:]
        s.commit()
    screens = [enrol_display(db) for _ in range(DISPLAYS)]
    db.dispose()
    server = AppProcess(env, tmp_path, config=EMBEDDED)
    try:
        agent = login(server.url, "agent")
        assert agent.post(f"{server.url}/agent/desk", data={"desk_id": desk_id}, timeout=WAIT).ok
        consoles = [f"session={login(server.url, who).cookies['session']}"
                    for who in ("agent", "superviseur") * 3][:CONSOLES]
        # In a thread of its own: the browser tests' Playwright may hold an event loop in this one.
        with ThreadPoolExecutor(1) as pool:
            result = pool.submit(asyncio.run, crowd(server.url, links, screens, consoles, agent, desk_id)).result()
    finally:
        logs = server.stop()
    admitted = PHONES + DISPLAYS + CONSOLES
    assert result["connected"] == admitted and result["heard"] == admitted, result
    assert result["refused"] == ANONYMOUS and result["idle_closed"] == ANONYMOUS, result
    assert set(result["pages"]) == {200}, result["pages"]
    assert "Traceback" not in logs, logs
