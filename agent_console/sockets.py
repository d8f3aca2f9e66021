"""The /agent namespace: signed-in agents only, one room per site and one per agent.

Consoles receive the console's regions already rendered (the same templates as the page),
so the browser only swaps them. For each batch of a site's events the shared picture is
built once (``accueil.console.site_view``, masked numbers decrypted once per ticket), the
list of queues is rendered once per language and kind of console, the desks and the agent's
own desk per agent; each console then gets only the regions that changed since the last
ones it got (``from``: the version of those), and asks for a snapshot when its version is
not that one. Pages that only follow the site (supervision, the day's appointments) get a
bare version and fetch their fragment.
"""
from __future__ import annotations

from dataclasses import fields

from flask import Flask, current_app, render_template, session
from flask_babel import force_locale, get_locale
from flask_login import current_user
from flask_socketio import SocketIO
from markupsafe import Markup

from accueil.clock import utcnow
from accueil.console import ConsoleView, Masks, details, for_agent, listed, site_view
from accueil.events import AccessEnded
from agent_console import auth
from web.context import database, vault
from web.realtime import Admission, Client, LiveNamespace

NAMESPACE = "/agent"
REGIONS = ("hand", "queues", "desks")


def site_room(site_id: int) -> str:
    return f"site:{site_id}"


def user_room(agent_id: int) -> str:
    return f"user:{agent_id}"


def render_waiting_row(c: ConsoleView, t, shared=False) -> Markup:
    """One waiting ticket's row of the queues' list (the live path caches these: ``Rows``)."""
    return Markup(render_template("agent_console/_waiting_row.html", c=c, t=t, shared=bool(shared)))


class Rows:
    """The queues' rows, each rendered once per content and kind of console, then reused.

    A waiting ticket's row changes only with the ticket, the console's language, whether the
    console may call, and the list of queues and desks it may be sent to: an event re-renders
    the rows that changed (usually one), not the whole list.
    """

    def __init__(self) -> None:
        self._rows: dict[tuple, Markup] = {}
        self._used: dict[tuple, Markup] = {}

    def row(self, c: ConsoleView, t, shared=True) -> Markup:
        key = (str(get_locale()), bool(c.desk and not c.desk.paused_at),
               tuple((q.id, q.name, q.letter) for q in c.queues), tuple((d.desk_id, d.name) for d in c.desks),
               tuple(getattr(t, f.name) for f in fields(t) if f.name != "waited_minutes"))
        html = self._rows.get(key)
        if html is None:  # the minutes waited are refreshed by console.js from data-arrived
            html = self._rows[key] = render_waiting_row(c, t, shared=True)
        self._used[key] = html
        return html

    def forget_unused(self) -> None:
        """Keep only the rows used since the last call (the tickets still listed)."""
        self._rows, self._used = self._used, {}


def render_regions(console: ConsoleView, rows: Rows, memo: dict | None = None) -> dict[str, str]:
    """The live parts of the console page for one agent.

    Rendered « shared »: without the per-session form fields (CSRF token, action key), which
    console.js adds when a form is sent; so the same HTML serves every console alike, and a
    region is rendered once per content (*memo*, kept for one batch) whatever the number of consoles.
    """
    memo = {} if memo is None else memo
    desk = console.desk
    locale = str(get_locale())
    keys = {
        "hand": (locale, desk.id if desk else None, desk.name if desk else None,
                 bool(desk and desk.paused_at), console.busy,
                 tuple(tuple(getattr(t, f.name) for f in fields(t)) for t in console.in_hand)),
        "queues": (locale, bool(desk and not desk.paused_at)),
        "desks": (locale, console.supervisor, desk.id if desk else None, tuple(console.desks)),
    }
    regions = {}
    for name, key in keys.items():
        key = (name, *key)
        if key not in memo:
            memo[key] = render_template(f"agent_console/_{name}.html", c=console, shared=True, waiting_row=rows.row)
        regions[name] = memo[key]
    return regions


def _message(console: ConsoleView, regions: dict[str, str]) -> dict:
    return {
        "v": console.version,
        "regions": regions,
        "desk": console.desk.id if console.desk else None,
        "paused": bool(console.desk and console.desk.paused_at),
        "in_hand": [t.code for t in console.in_hand],
    }


class AgentNamespace(LiveNamespace):
    per_party = 10  # consoles, supervision and appointment pages in several tabs
    order = 2

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self._masks: Masks | None = None
        self.rows = Rows()

    def masks(self) -> Masks:
        if self._masks is None:
            self._masks = Masks(vault())
        return self._masks

    def admit(self, auth_data: dict) -> Admission | None:
        if not current_user.is_authenticated or auth.expired(session):
            return None
        info = {"agent": current_user.id, "supervisor": current_user.supervisor, "locale": str(get_locale()),
                "page": auth_data.get("page") == "region", "v": None, "regions": {}}
        return Admission(current_user.site_id, site_room(current_user.site_id), user_room(current_user.id), info)

    def snapshot(self, client: Client) -> dict:
        with database().session() as s:
            state = self.dispatcher.cache.get(s, client.site_id, now=utcnow())
            if client.info["page"]:
                return {"v": state.version}
            extra = details(s, listed(state))
        shared = site_view(state, self.masks(), now=utcnow(), extra=extra)
        console = for_agent(shared, agent_id=client.info["agent"], supervisor=client.info["supervisor"])
        regions = render_regions(console, self.rows)
        client.info["v"], client.info["regions"] = console.version, regions
        return _message(console, regions)

    def deliver(self, batch, state) -> None:
        clients = self.clients_of(batch.site_id)
        for client in clients:
            if client.info["page"]:
                self.send_to(client.sid, "event", {"v": state.version})
        consoles = [c for c in clients if not c.info["page"]]
        if not consoles:
            return
        with database().session() as s:
            extra = details(s, listed(state))
        shared = site_view(state, self.masks(), now=utcnow(), extra=extra)
        memo: dict = {}
        # Consoles that get the very same update (same regions, same version) share one send: the
        # payload is encoded once for all of them.
        groups: dict[tuple, tuple[dict, list[str]]] = {}
        with current_app.test_request_context("/agent/"):
            for client in consoles:
                console = for_agent(shared, agent_id=client.info["agent"], supervisor=client.info["supervisor"])
                with force_locale(client.info["locale"]):
                    regions = render_regions(console, self.rows, memo)
                changed = {k: v for k, v in regions.items() if client.info["regions"].get(k) != v}
                if not changed:
                    continue  # nothing to show: the console keeps its version, the next update follows it
                message = _message(console, changed) | {"from": client.info["v"]}
                client.info["v"], client.info["regions"] = console.version, regions
                # The memo hands out one string per content: identity is enough to compare regions.
                key = (message["from"], message["desk"], message["paused"], tuple(message["in_hand"]),
                       tuple((name, id(html)) for name, html in sorted(changed.items())))
                groups.setdefault(key, (message, []))[1].append(client.sid)
        for message, sids in groups.values():
            self.send_to(sids if len(sids) > 1 else sids[0], "event", message)
        self.rows.forget_unused()

    def cut(self, event: AccessEnded) -> None:
        if event.party == "agent":
            self.cut_party(user_room(event.key), name="logout")


def console_snapshot() -> dict:
    """The signed-in agent's regions now (the HTTP fallback of the socket's snapshot)."""
    namespace: AgentNamespace = current_app.extensions["accueil.agent_namespace"]
    with database().session() as s:
        state = namespace.dispatcher.cache.get(s, current_user.site_id, now=utcnow())
        extra = details(s, listed(state))
    shared = site_view(state, namespace.masks(), now=utcnow(), extra=extra)
    console = for_agent(shared, agent_id=current_user.id, supervisor=current_user.supervisor)
    return _message(console, render_regions(console, namespace.rows))


def init_app(app: Flask, socketio: SocketIO) -> None:
    namespace = AgentNamespace(NAMESPACE)
    socketio.on_namespace(namespace)
    app.extensions["accueil.dispatcher"].register(namespace)
    app.extensions["accueil.agent_namespace"] = namespace


def tell_agent(agent_id: int, name: str, payload: dict) -> None:
    """Tell an agent's consoles something (on every process: through the message queue if there is one)."""
    current_app.extensions["accueil.socketio"].emit(name, payload, namespace=NAMESPACE, to=user_room(agent_id))


def end_sessions(agent_id: int) -> None:
    """Close the agent's open consoles on every process (a logout changes nothing in the database)."""
    current_app.extensions["accueil.db"].bus.publish(AccessEnded("agent", agent_id))
