"""Bench only: many live clients in one asyncio process, speaking Socket.IO over websockets.

A python-socketio AsyncClient costs too much CPU to hold two thousand of them beside the
server on a 2-core machine, so these clients speak the wire protocol themselves (Engine.IO
v4 + Socket.IO v5 text packets: open, connect to a namespace with auth, events, pings). They
answer pings, note the time of every update they receive, and can ask for a snapshot.
"""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp


class LiveClient:
    """One connection to one namespace; ``updates`` holds (time, payload) of every "event" received."""

    def __init__(self, namespace: str, auth: dict, cookie: str | None = None) -> None:
        self.namespace = namespace
        self.auth = auth
        self.cookie = cookie
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.connected = asyncio.Event()
        self.refused: str | None = None
        self.closed = False
        self.snapshot: dict | None = None
        self.updates: list[tuple[float, dict]] = []
        self.changed = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def connect(self, http: aiohttp.ClientSession, base: str, timeout: float = 30) -> bool:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        url = base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        try:
            self.ws = await http.ws_connect(url, headers=headers, heartbeat=None, autoping=True, max_msg_size=0)
        except aiohttp.WSServerHandshakeError as err:
            self.refused = f"http {err.status}"
            return False
        opening = await self.ws.receive_str()
        assert opening.startswith("0{"), opening
        await self.ws.send_str(f"40{self.namespace},{json.dumps(self.auth)}")
        self._task = asyncio.create_task(self._read())
        done, _ = await asyncio.wait([asyncio.create_task(self.connected.wait()), self._task], timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        return self.connected.is_set() and self.refused is None

    async def _read(self) -> None:
        prefix = f"4{{}}{self.namespace},"
        connect, error, event = prefix.format(0), prefix.format(4), prefix.format(2)
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = msg.data
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith(event):
                at = time.perf_counter()
                body = data[len(event):]
                ack_end = 0
                while ack_end < len(body) and body[ack_end].isdigit():
                    ack_end += 1
                name, *args = json.loads(body[ack_end:])
                payload = args[0] if args else None
                if name == "snapshot":
                    self.snapshot = payload
                elif name == "event":
                    self.updates.append((at, payload))
                self.changed.set()
            elif data.startswith(f"43{self.namespace},"):
                body = data[len(self.namespace) + 3:]
                digits = ""
                while body and body[0].isdigit():
                    digits, body = digits + body[0], body[1:]
                answer = json.loads(body)
                if answer and isinstance(answer[0], dict):
                    self.snapshot = answer[0]
                self.changed.set()
            elif data.startswith(connect):
                self.connected.set()
            elif data.startswith(error):
                self.refused = data[len(error):]
                self.connected.set()
            elif data.startswith(f"41{self.namespace}"):
                break
        self.closed = True
        self.changed.set()

    async def ask_snapshot(self, ack: int) -> None:
        await self.ws.send_str(f"42{self.namespace},{ack}[\"snapshot\",null]")

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._task is not None:
            self._task.cancel()


async def connect_all(clients: list[LiveClient], base: str, http: aiohttp.ClientSession, batch: int = 50) -> int:
    """Connect *clients* *batch* at a time; return how many were admitted."""
    admitted = 0
    for start in range(0, len(clients), batch):
        results = await asyncio.gather(*(c.connect(http, base) for c in clients[start:start + batch]))
        admitted += sum(results)
    return admitted


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]
