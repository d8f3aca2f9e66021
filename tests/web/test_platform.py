"""What every page shares: headers, errors, languages, device enrolment, vendored files."""
from __future__ import annotations

import re

from sqlmodel import select

from accueil.clock import utcnow
from accueil.devices import create_enrolment
from accueil.models import Device, Site


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_security_headers_on_every_page(client):
    for path in ("/", "/nowhere"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "same-origin"


def test_errors_are_plain_pages_in_the_visitors_language(client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and "Cette page n&#39;existe pas." in r.get_data(as_text=True)
    r = client.post("/appareil/x", data="x" * (1024 * 1024), content_type="application/x-www-form-urlencoded")
    assert r.status_code == 413 and "trop longues" in r.get_data(as_text=True)


def test_language_switch_never_redirects_elsewhere(client):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        r = client.get("/langue/en", query_string={"next": target})
        assert r.status_code == 303 and r.headers["Location"] == "/"
    r = client.get("/langue/ar", query_string={"next": "/?a=1"})
    assert r.headers["Location"] == "/?a=1" and "lang=ar" in r.headers["Set-Cookie"]
    r = client.get("/langue/xx")
    assert "Set-Cookie" not in r.headers


def test_vendored_socketio_client_is_served_from_node_modules(client):
    r = client.get("/vendor/socket.io.min.js")
    assert r.status_code == 200 and b"io" in r.data[:2000]
    assert client.get("/vendor/..%2Fpackage.json").status_code == 404


def enrolment(app, kind="kiosk"):
    db = app.extensions["accueil.db"]
    with db.write_session() as s:
        site = s.exec(select(Site).where(Site.slug == "chaumont")).one()
        device, token = create_enrolment(s, site_id=site.id, kind=kind, label="Entrée", now=utcnow())
        s.commit()
    return device, token


def test_a_device_enrols_once_with_its_link(app, client):
    device, token = enrolment(app)
    page = client.get(f"/appareil/{token}")
    assert page.status_code == 200 and "borne" in page.get_data(as_text=True)
    r = client.post(f"/appareil/{token}", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.status_code == 303 and r.headers["Location"] == "/kiosk/chaumont"
    cookie = r.headers["Set-Cookie"]
    assert "accueil_device=" in cookie and "HttpOnly" in cookie
    assert client.get(f"/appareil/{token}").status_code == 404  # one time only
    with app.extensions["accueil.db"].session() as s:
        enrolled = s.get(Device, device.id)
        assert enrolled.enrolled_at is not None and enrolled.enrol_hash is None
        assert token not in repr(enrolled.model_dump())


def test_enrolment_needs_the_csrf_token(app, client):
    _, token = enrolment(app)
    r = client.post(f"/appareil/{token}")
    assert r.status_code == 400 and "ouverte trop longtemps" in r.get_data(as_text=True)


def test_unknown_enrolment_link_says_so(client):
    r = client.get("/appareil/forged-token")
    assert r.status_code == 404 and "plus valable" in r.get_data(as_text=True)
