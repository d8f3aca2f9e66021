"""The waiting-room page: only an enrolled display of the site gets the live screen."""
from __future__ import annotations

import json
import re

from sqlmodel import select

from accueil.clock import utcnow
from accueil.devices import create_enrolment, enrol
from accueil.models import Site


def device_cookie(app, slug="chaumont", kind="display") -> str:
    """Enrol a device of *kind* for *slug* through the domain; return its cookie value."""
    with app.extensions["accueil.db"].write_session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        _, token = create_enrolment(s, site_id=site.id, kind=kind, label="Test", now=utcnow())
        _, credential = enrol(s, token, now=utcnow())
        s.commit()
    return credential


def test_a_browser_that_is_not_a_display_gets_the_installation_page(client):
    r = client.get("/display/chaumont")
    html = r.get_data(as_text=True)
    assert r.status_code == 403
    assert "pas installé" in html
    assert "accueil device enroll --site chaumont --kind display --label" in html
    assert "display.js" not in html and "display-config" not in html


def test_a_kiosk_or_another_sites_display_is_not_this_display(app, client):
    client.set_cookie("accueil_device", device_cookie(app, kind="kiosk"))
    assert client.get("/display/chaumont").status_code == 403
    client.set_cookie("accueil_device", device_cookie(app, slug="saint-dizier"))
    assert client.get("/display/chaumont").status_code == 403
    assert client.get("/display/saint-dizier").status_code == 200


def test_a_revoked_display_goes_back_to_the_installation_page(app, client):
    from accueil.devices import revoke

    credential = device_cookie(app)
    client.set_cookie("accueil_device", credential)
    assert client.get("/display/chaumont").status_code == 200
    with app.extensions["accueil.db"].write_session() as s:
        revoke(s, int(credential.split(".")[0]), now=utcnow())
        s.commit()
    assert client.get("/display/chaumont").status_code == 403


def test_an_unknown_site_says_so(client):
    r = client.get("/display/nowhere")
    assert r.status_code == 404 and "n&#39;existe pas" in r.get_data(as_text=True)


def test_the_enrolled_display_gets_the_live_screen_without_inline_script(app, client):
    client.set_cookie("accueil_device", device_cookie(app))
    r = client.get("/display/chaumont")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Caf de la Haute-Marne — Chaumont" in re.sub(r"<[^>]+>", "", html) and "Activer le son" in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    for attrs, body in scripts:
        assert "src=" in attrs or 'type="application/json"' in attrs
        assert "src=" not in attrs or not body.strip()
    assert not re.search(r"\son[a-z]+=", html) and "style=" not in html
    config = json.loads(re.search(r'id="display-config">(.*?)</script>', html, flags=re.S).group(1))
    assert config["site"] == "chaumont" and config["texts"]["say"] == "Ticket {code}, {place}"
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]


def test_the_display_page_follows_the_chosen_language(app, client):
    client.set_cookie("accueil_device", device_cookie(app))
    client.set_cookie("lang", "en")
    html = client.get("/display/chaumont").get_data(as_text=True)
    assert 'lang="en"' in html and "Turn the sound on" in html and "Ticket {code}, {place}" in html


def test_the_display_assets_are_served(client):
    assert client.get("/static/display/display/display.js").status_code == 200
    assert client.get("/static/display/display/display.css").status_code == 200


def messages(app, slug):
    from accueil.models import DisplayMessage

    with app.extensions["accueil.db"].session() as s:
        site = s.exec(select(Site).where(Site.slug == slug)).one()
        return {bool(m.link): m.id for m in s.exec(select(DisplayMessage).where(DisplayMessage.site_id == site.id)).all()}


def test_a_messages_qr_code_is_for_the_sites_displays_only(app, client):
    linked, plain = messages(app, "chaumont")[True], messages(app, "chaumont")[False]
    path = f"/display/chaumont/messages/{linked}/qr.svg"
    assert client.get(path).status_code == 403  # not a display
    client.set_cookie("accueil_device", device_cookie(app, kind="kiosk"))
    assert client.get(path).status_code == 403
    client.set_cookie("accueil_device", device_cookie(app))
    r = client.get(path)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml" and b"<svg" in r.data
    assert client.get(f"/display/chaumont/messages/{plain}/qr.svg").status_code == 404  # no link, no code
    theirs = messages(app, "saint-dizier")[True]
    assert client.get(f"/display/chaumont/messages/{theirs}/qr.svg").status_code == 404
    assert client.get(f"/display/chaumont/messages/{2**63}/qr.svg").status_code == 404
    assert client.get("/display/nowhere/messages/1/qr.svg").status_code == 404
