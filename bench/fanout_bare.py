"""Bench only: a bare python-socketio broadcast server, the baseline of bench/fanout.py.

Same transport and mode as the product (python-socketio gevent mode under gunicorn's
gevent worker, simple-websocket), no Flask, no database: POST /bench/call emits one
payload shaped like the product's to every client of the room, and answers its key.

    gunicorn -c deploy/gunicorn.conf.py 'bench.fanout_bare:create()'
"""
from __future__ import annotations

import itertools
import json
import threading

import socketio

ROOM = "site:1"


def create():
    sio = socketio.Server(async_mode="gevent", logger=False, engineio_logger=False)
    counter = itertools.count(1)
    lock = threading.Lock()

    @sio.on("connect", namespace="/display")
    def connect(sid, environ, auth=None):
        sio.enter_room(sid, ROOM, namespace="/display")
        sio.emit("snapshot", {"v": 0, "calls": [], "waiting": []}, to=sid, namespace="/display")

    def http(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/bench/call" and environ["REQUEST_METHOD"] == "POST":
            with lock:
                v = next(counter)
            key = f"R{v:03d}:{v}"
            payload = {"v": v, "from": v - 1,
                       "waiting": [{"letter": "N", "name": "Espace numérique", "count": 0},
                                   {"letter": "R", "name": "Rendez-vous", "count": 40}],
                       "calls": [{"key": key, "code": f"R{v:03d}", "letter": "R", "place": "Bureau 1",
                                  "kind": "called", "at": "2026-11-26T09:00:00.000000+00:00", "time": "10:00"}]}
            sio.emit("event", payload, to=ROOM, namespace="/display")
            body = json.dumps({"key": key, "v": v}).encode()
        elif path in ("/bench/free", "/healthz"):
            body = b'{"v": 0}'
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return socketio.WSGIApp(sio, http)
