"""Bench only: a bare python-socketio server, the baseline of bench/live_capacity.py.

The same transport and worker as the product's embedded default (python-socketio in gevent
mode under gunicorn's gevent worker, simple-websocket), no Flask, no database, no admission:
every client of /ticket, /display and /agent is accepted and gets a snapshot; POST /bench/call
and /bench/free emit one payload shaped like the product's to every client of each namespace.

    gunicorn -c deploy/gunicorn.conf.py 'bench.live_bare:create()'
"""
from __future__ import annotations

import itertools
import json

import socketio

NAMESPACES = ("/ticket", "/display", "/agent")
PHONE = {"code": "R042", "status": "waiting", "place": "desks", "queue": "Rendez-vous", "letter": "R", "ahead": 12,
         "estimate": {"low": 20, "high": 45, "long": False}, "desk": None, "recalls": 0, "appointment_at": None,
         "appointment_kind": None, "appointment_not_found": True, "day": "2026-11-27"}


def create():
    sio = socketio.Server(async_mode="gevent", logger=False, engineio_logger=False)
    counter = itertools.count(1)

    def on_connect(sid, environ, auth=None):
        return True

    for ns in NAMESPACES:
        sio.on("connect", on_connect, namespace=ns)
        sio.on("snapshot", lambda sid, data=None: {"v": 0}, namespace=ns)

    def http(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in ("/bench/call", "/bench/free") and environ["REQUEST_METHOD"] == "POST":
            v = next(counter)
            key = f"R{v:03d}:{v}"
            sio.emit("event", {"v": v, **PHONE}, namespace="/ticket")
            sio.emit("event", {"v": v, "from": v - 1, "waiting": [{"letter": "R", "name": "Rendez-vous", "count": 40}],
                               "calls": [{"key": key, "code": f"R{v:03d}", "letter": "R", "place": "Bureau 1",
                                          "kind": "called", "at": "2026-11-27T09:00:00+00:00", "time": "10:00"}]},
                     namespace="/display")
            sio.emit("event", {"v": v, "from": v - 1, "regions": {"queues": "<ul>" + "<li>R042</li>" * 40 + "</ul>"}},
                     namespace="/agent")
            body = json.dumps({"key": key, "v": v}).encode()
        elif path == "/healthz":
            body = b'{"status": "ok"}'
        elif path == "/k/chaumont" and environ["REQUEST_METHOD"] == "POST":
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            start_response("303 See Other", [("Location", "/ticket/x"), ("Content-Length", "0")])
            return []
        elif path.startswith("/ticket/"):
            start_response("200 OK", [("Content-Type", "text/html")])
            return [b"<!doctype html><title>Ticket</title><p>R042</p>"]
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return socketio.WSGIApp(sio, http)
