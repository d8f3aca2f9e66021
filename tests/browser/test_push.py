"""The ticket page's push notifications in Chromium: the service worker shows what a push brings.

A push is delivered to the page's service worker through the DevTools protocol
(``ServiceWorker.deliverPushMessage``), as a browser's push service would hand it over. This
Chromium has no push service of its own (no vendor key), so ``pushManager.subscribe`` fails and
the page must say so plainly; the server's side of a subscription is tested in tests/web/test_push.py.
"""
from __future__ import annotations

import json

from sqlmodel import select

from accueil.checkin import check_in
from accueil.clock import utcnow
from accueil.models import PushSubscription, Site
from tests.browser.conftest import axe_violations, new_page
from tests.conftest import make_nir

WAIT_MS = 15000  # an upper bound for a failure, not a measured time


def test_the_service_worker_shows_the_call_when_a_push_arrives(browser, live):
    with live.db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        t = check_in(s, live.vault, site_id=site.id, has_appointment=True, nir=make_nir(1), now=utcnow()).ticket
        s.commit()
    phone = new_page(browser, phone=True)
    phone.context.grant_permissions(["notifications"], origin=live.url)
    cdp = phone.context.new_cdp_session(phone)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    phone.goto(f"{live.url}/ticket/{t.public_id}")
    assert phone.is_visible("#push") and "ajoutez d'abord cette page à l'écran d'accueil" in phone.text_content("#push-box")
    assert axe_violations(phone) == []
    phone.click("#push")
    phone.wait_for_function("() => document.getElementById('push-state').textContent !== ''", timeout=WAIT_MS)
    assert phone.text_content("#push-state") == ("Ce téléphone n'a pas pu s'abonner aux notifications. "
                                                 "Gardez cette page ouverte.")
    assert phone.is_enabled("#push")  # the visitor may try again
    with live.db.session() as s:
        assert s.exec(select(PushSubscription)).all() == []
    # The service worker is in place for the ticket pages: a push shows the call.
    [scope] = {r["scopeURL"] for r in registrations if not r.get("isDeleted")}
    assert scope == f"{live.url}/ticket/"
    registration = next(r["registrationId"] for r in registrations if not r.get("isDeleted"))
    payload = {"title": "C'est votre tour", "body": f"Ticket {t.code} : c'est votre tour. Allez à : Bureau 1.",
               "url": f"/ticket/{t.public_id}", "tag": f"ticket-{t.id}"}
    for _ in range(2):  # a recall replaces the first call's notification (same tag)
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": live.url + "/", "registrationId": registration,
                                                       "data": json.dumps(payload)})
    phone.wait_for_function("""() => navigator.serviceWorker.ready.then((r) => r.getNotifications())
        .then((ns) => ns.length > 0)""", timeout=WAIT_MS)
    shown = phone.evaluate("""() => navigator.serviceWorker.ready.then((r) => r.getNotifications())
        .then((ns) => ns.map((n) => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url,
                                      sticky: n.requireInteraction})))""")
    assert shown == [{"title": payload["title"], "body": payload["body"], "tag": payload["tag"], "url": payload["url"],
                      "sticky": True}]
    phone.context.close()
