"""Bench only (never imported by the product): the real app plus two routes the fan-out bench drives.

    gunicorn -c deploy/gunicorn.conf.py 'bench.fanout_app:create()'

POST /bench/call?desk=ID   call the next ticket to desk ID through the core, as an agent's console
                           would (one write transaction, commit, the event bus, the /display emit);
                           answers the call's display key and the site's version.
POST /bench/free?desk=ID   start and finish the ticket the desk holds, so that it can call again.
The requests carry no CSRF token: the routes exist only in this bench module.
"""
from __future__ import annotations

import time

from flask import jsonify, request
from sqlmodel import col, select

from accueil import tickets
from accueil.clock import utcnow
from accueil.models import Desk, Site, Ticket
from app import create_app
from web.security import csrf, limiter


def create():
    app = create_app()
    db = app.extensions["accueil.db"]

    def desk_and_site() -> tuple[int, int]:
        desk_id = int(request.args["desk"])
        with db.session() as s:
            return desk_id, s.get(Desk, desk_id).site_id

    @app.post("/bench/call")
    def bench_call():
        desk_id, site_id = desk_and_site()
        t0 = time.perf_counter()
        with db.write_session() as s:
            ticket = tickets.call_next(s, site_id=site_id, desk_id=desk_id, now=utcnow())
            version = s.exec(select(Site.version).where(Site.id == site_id)).one()
            t1 = time.perf_counter()
            s.commit()  # hands the event to the dispatcher, which sends the update in its own task
        t2 = time.perf_counter()
        return jsonify(key=f"{ticket.code}:{version}", v=version, core_ms=(t1 - t0) * 1000,
                       commit_and_emit_ms=(t2 - t1) * 1000)

    @app.post("/bench/free")
    def bench_free():
        desk_id, site_id = desk_and_site()
        with db.write_session() as s:
            held = s.exec(select(Ticket).where(Ticket.desk_id == desk_id,
                                               col(Ticket.status).in_(("called", "serving")))).all()
            for t in held:
                if t.status == "called":
                    tickets.start(s, site_id=site_id, ticket_id=t.id, now=utcnow())
                tickets.finish(s, site_id=site_id, ticket_id=t.id, now=utcnow())
            version = s.exec(select(Site.version).where(Site.id == site_id)).one()
            s.commit()
        return jsonify(v=version)

    for view in (bench_call, bench_free):
        csrf.exempt(view)
        limiter.exempt(view)
    return app
