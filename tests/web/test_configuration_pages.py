"""The configuration pages: supervisors of their own site only, CSRF, messages beside fields, nothing stored on error."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from accueil.agents import authenticate
from accueil.models import Agent, Desk, DisplayMessage, OpeningPeriod, Queue, Site
from tests.conftest import table_counts
from tests.web.test_commands import accueil, instance  # noqa: F401 (fixture)
from tests.web.test_console import Console, db, site_id

PAGE = "/agent/configuration"


def ids(app, slug="chaumont"):
    """The ids of a site's queues (by letter), desks (by name) and agents (by login)."""
    sid = site_id(app, slug)
    with db(app).session() as s:
        return {
            "queues": {q.letter: q.id for q in s.exec(select(Queue).where(Queue.site_id == sid)).all()},
            "desks": {d.name: d.id for d in s.exec(select(Desk).where(Desk.site_id == sid)).all()},
            "agents": {a.login: a.id for a in s.exec(select(Agent).where(Agent.site_id == sid)).all()},
            "messages": [m.id for m in s.exec(select(DisplayMessage).where(DisplayMessage.site_id == sid)
                                              .order_by(DisplayMessage.id)).all()],
        }


def posts(app):
    """Every change the page can make, on Chaumont's own rows, with good input."""
    own = ids(app)
    return [
        ("/site", dict(name="Caf de Chaumont", retention_hours="24", checkin_early_minutes="30",
                       checkin_late_minutes="15", assigned_wait_minutes="10", priority_rule="first")),
        ("/hours", {"opens-0-0": "08:30", "closes-0-0": "12:00"}),
        ("/queues", dict(letter="F", name="Familles", kind="desks", purpose="")),
        (f"/queues/{own['queues']['R']}", dict(name="Rendez-vous", kind="desks", purpose="appointment")),
        (f"/queues/{own['queues']['R']}/active", dict(active="0")),
        ("/desks", dict(name="Bureau 9", queues=str(own["queues"]["R"]))),
        (f"/desks/{own['desks']['Bureau 1']}", dict(name="Bureau 1", queues=str(own["queues"]["R"]))),
        (f"/desks/{own['desks']['Bureau 1']}/active", dict(active="0")),
        ("/agents", dict(login="paul", password="un mot de passe long", role="agent")),
        (f"/agents/{own['agents']['agent.chaumont']}/active", dict(active="0")),
        (f"/agents/{own['agents']['agent.chaumont']}/password", dict(password="un mot de passe long")),
        ("/branding", dict(accent="#1b5e20")),
        ("/messages", dict(text="Prenez rendez-vous au 3230.", link="")),
        (f"/messages/{own['messages'][0]}", dict(text="Autre message", link="")),
        (f"/messages/{own['messages'][0]}/delete", {}),
    ]


def test_anonymous_is_sent_to_login(app):
    r = app.test_client().get(PAGE)
    assert r.status_code == 303 and "/agent/login" in r.headers["Location"]


def test_a_plain_agent_is_refused_everywhere_and_changes_nothing(app):
    agent = Console(app, "agent.chaumont")
    assert agent.get(PAGE).status_code == 403
    assert "Configuration du site" not in agent.get("/agent/").get_data(as_text=True)
    before = table_counts(db(app))
    for path, data in posts(app):
        assert agent.post(PAGE + path, json=False, **data).status_code == 403, path
    assert table_counts(db(app)) == before


SECTIONS = {"site": "Enregistrer les réglages", "hours": "Enregistrer les horaires", "queues": "Créer la file",
            "desks": "Créer le bureau", "agents": "Créer le compte", "messages": "Ajouter le message"}


def test_the_supervisor_sees_the_sections_from_the_console_menu_each_at_its_own_address(app):
    sup = Console(app, "superviseur.chaumont")
    assert f'href="{PAGE}"' in sup.get("/agent/").get_data(as_text=True)
    hub = sup.get(PAGE).get_data(as_text=True)
    for section in SECTIONS:
        assert f'href="{PAGE}/{section}"' in hub
    assert 'href="/agent/devices"' in hub
    for section, button in SECTIONS.items():
        r = sup.get(f"{PAGE}/{section}")
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and button in html, section
        assert f'href="{PAGE}/{section}" aria-current="page"' in html
        assert all(other not in html for s, other in SECTIONS.items() if s != section), section  # one section a page
        assert "<script>" not in html and "style=" not in html  # strict CSP: no inline script or style
    agents = sup.get(f"{PAGE}/agents").get_data(as_text=True)
    assert "superviseur.chaumont" in agents and "agent.saint-dizier" not in agents
    assert sup.get(f"{PAGE}/nowhere").status_code == 404


def test_every_change_needs_the_csrf_token(app):
    sup = Console(app, "superviseur.chaumont")
    before = table_counts(db(app))
    for path, data in posts(app):
        r = sup.client.post(PAGE + path, data=data)
        assert r.status_code == 400 and "ouverte trop longtemps" in r.get_data(as_text=True), path
    assert table_counts(db(app)) == before
    with db(app).session() as s:
        assert s.get(Site, site_id(app, "chaumont")).name != "Caf de Chaumont"


def test_another_sites_rows_are_out_of_reach(app):
    sup = Console(app, "superviseur.chaumont")
    other = ids(app, "saint-dizier")
    before = table_counts(db(app))
    queue, desk, agent = other["queues"]["R"], other["desks"]["Bureau 1"], other["agents"]["agent.saint-dizier"]
    for path, data in [(f"/queues/{queue}", dict(name="Pris", kind="desks", purpose="appointment")),
                       (f"/queues/{queue}/active", dict(active="0")),
                       (f"/desks/{desk}", dict(name="Pris", queues=str(ids(app)["queues"]["R"]))),
                       (f"/desks/{desk}/active", dict(active="0")),
                       (f"/agents/{agent}/active", dict(active="0")),
                       (f"/agents/{agent}/password", dict(password="un mot de passe pirate"))]:
        assert sup.post(PAGE + path, json=False, **data).status_code == 404, path
    # Nor may a desk of Chaumont serve a queue of Saint-Dizier.
    r = sup.post(PAGE + "/desks", json=False, name="Bureau 9", queues=str(queue))
    assert r.status_code == 400
    assert table_counts(db(app)) == before
    with db(app).session() as s:
        assert s.get(Agent, agent).active and s.get(Queue, queue).active and s.get(Desk, desk).name == "Bureau 1"
        assert authenticate(s, "agent.saint-dizier", "un mot de passe pirate") is None


@pytest.mark.parametrize("path,data,form_field,message", [
    ("/site", dict(name="Chaumont", retention_hours="9999", checkin_early_minutes="30", checkin_late_minutes="15",
                   assigned_wait_minutes="10", priority_rule="first"), "site-retention_hours", "entre 0 et 720"),
    ("/hours", {"opens-2-0": "9h", "closes-2-0": "12:00"}, "hours-hours-2", "existe pas : 9h"),
    ("/hours", {"opens-2-0": "14:00", "closes-2-0": "12:00"}, "hours-hours-2", "heure d&#39;ouverture"),
    ("/hours", {"opens-4-0": "08:30"}, "hours-hours-4", "cochez « Fermé »"),
    ("/hours", {"opens-1-0": "08:00", "closes-1-0": "12:00", "opens-1-1": "11:00", "closes-1-1": "13:00"},
     "hours-hours-1", "chevauchent"),
    ("/queues", dict(letter="R", name="Doublon", kind="desks", purpose=""), "queue-new-letter", "déjà prise"),
    ("/queues", dict(letter="E", name="Espace", kind="zone", seats="0", purpose=""), "queue-new-seats", "entre 1"),
    ("/desks", dict(name="Bureau 9", queues="R"), "desk-new-queues", "files ouvertes"),
    ("/desks", dict(name="Bureau 1", queues="1"), "desk-new-name", "déjà"),
    ("/desks", dict(name="Bureau 9"), "desk-new-queues", "au moins une file"),
    ("/desks", dict(name="Bureau 9", queues="1", directions="à gauche " * 20), "desk-new-directions", "trop long"),
    ("/site", dict(name="Chaumont", retention_hours="0", checkin_early_minutes="30", checkin_late_minutes="15",
                   assigned_wait_minutes="10", priority_rule="first", messages="1", notify_soon_people="٣",
                   notify_soon_minutes="5"), "site-notify_soon_people", "entre 0 et 20"),
    ("/agents", dict(login="Jean Dupont", password="un mot de passe long", role="agent"), "agent-new-login",
     "identifiant"),
    ("/agents", dict(login="jean", password="court", role="agent"), "agent-new-password", "10 caractères"),
])
def test_bad_input_gets_its_message_beside_the_field_and_stores_nothing(app, path, data, form_field, message):
    sup = Console(app, "superviseur.chaumont")
    before = table_counts(db(app))
    r = sup.post(PAGE + path, json=False, **data)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert table_counts(db(app)) == before
    error = re.search(rf'<p class="field-error" id="{form_field}-error">([^<]*)</p>', html)
    assert error and message in error.group(1), html[:3000]
    assert f'href="#{form_field}"' in html  # the summary at the top links to the field
    assert f'id="{form_field}"' in html and f"{form_field}-error" in re.search(
        rf'id="{form_field}"[^>]*', html).group(0)  # the field (or its fieldset) points at its message
    assert "un mot de passe long" not in html  # a password is never sent back


def test_closing_a_queue_where_people_wait_is_refused_clearly(app):
    from tests.web.test_console import issue

    sup = Console(app, "superviseur.chaumont")
    issue(app, "chaumont", 1, appointment=True)
    queue = ids(app)["queues"]["R"]
    r = sup.post(PAGE + f"/queues/{queue}/active", json=False, active="0")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "1 ticket(s)" in re.search(rf'id="queue-{queue}-active-active-error">([^<]*)<', html).group(1)
    with db(app).session() as s:
        assert s.get(Queue, queue).active


def test_good_input_is_stored_and_shown(app):
    sup = Console(app, "superviseur.chaumont")
    own = ids(app)
    r = sup.post(PAGE + "/site", json=False, name="Caf de Chaumont", retention_hours="24", checkin_early_minutes="20",
                 checkin_late_minutes="10", assigned_wait_minutes="5", priority_rule="time", messages="1",
                 notify_soon_people="3", notify_soon_minutes="10")  # « absent » unticked
    assert r.status_code == 303 and r.headers["Location"].endswith(PAGE + "/site#site")
    html = sup.get(PAGE + "/site").get_data(as_text=True)  # the confirmation, beside the form that changed
    assert re.search(r'<h2 id="site-title">[^<]*</h2>\s*<p class="message message-ok done" role="status" id="site-done">'
                     r"Les réglages du site sont enregistrés.</p>", html)
    week = {"opens-0-0": "08:30", "closes-0-0": "12:00", "opens-0-1": "13:30", "closes-0-1": "16:30",
            "same-1": "1", "closed-2": "1", "opens-2-0": "09:00", "closes-2-0": "10:00",  # « Fermé » wins
            "opens-3-0": "09:00", "closes-3-0": "12:00"}
    assert sup.post(PAGE + "/hours", json=False, **week).status_code == 303
    assert sup.post(PAGE + "/queues", json=False, letter="f", name="Familles", kind="zone", seats="4",
                    purpose="").status_code == 303
    family = ids(app)["queues"]["F"]
    assert sup.post(PAGE + "/desks", json=False, name="Bureau 4", queues=[str(own["queues"]["R"]), str(family)],
                    capabilities=["lsf"]).status_code == 303
    assert sup.post(PAGE + f"/desks/{own['desks']['Bureau 2']}", json=False, name="Bureau 2 bis",
                    queues=str(own["queues"]["R"]), capabilities=["mobility", "interpreter"],
                    directions=" Premier étage,   porte 12 ").status_code == 303
    assert sup.post(PAGE + "/agents", json=False, login="paul.martin", password="un mot de passe long",
                    role="supervisor").status_code == 303
    with db(app).session() as s:
        site = s.get(Site, site_id(app, "chaumont"))
        assert (site.name, site.retention_hours, site.checkin_early_minutes, site.priority_rule) == \
            ("Caf de Chaumont", 24, 20, "time")
        assert (site.notify_soon_people, site.notify_soon_minutes, site.notify_no_show) == (3, 10, False)
        assert s.get(Desk, own["desks"]["Bureau 2"]).directions == "Premier étage, porte 12"
        hours = [(p.weekday, p.opens, p.closes) for p in s.exec(
            select(OpeningPeriod).where(OpeningPeriod.site_id == site.id).order_by(OpeningPeriod.weekday,
                                                                                  OpeningPeriod.opens)).all()]
        assert hours == [(0, 510, 720), (0, 810, 990), (1, 510, 720), (1, 810, 990), (3, 540, 720)]
        assert (s.get(Queue, family).kind, s.get(Queue, family).seats) == ("zone", 4)
        assert s.get(Desk, own["desks"]["Bureau 2"]).name == "Bureau 2 bis"
        assert s.get(Desk, own["desks"]["Bureau 2"]).capabilities == 6
        paul = authenticate(s, "paul.martin.chaumont", "un mot de passe long")  # the site's suffix, added
        assert paul is not None and paul.role == "supervisor" and paul.site_id == site.id
    hours_page = sup.get(PAGE + "/hours").get_data(as_text=True)
    assert 'id="opens-0-1" name="opens-0-1" value="13:30"' in hours_page
    assert 'id="same-1" name="same-1" value="1" checked' in hours_page  # Tuesday is Monday's
    assert 'id="closed-2" name="closed-2" value="1" checked' in hours_page
    assert "Bureau 2 bis" in sup.get(PAGE + "/desks").get_data(as_text=True)
    assert "paul.martin" in sup.get(PAGE + "/agents").get_data(as_text=True)


def test_a_disabled_agent_is_signed_out_at_the_next_request_and_cannot_sign_in(app):
    agent = Console(app, "agent.chaumont")
    assert agent.get("/agent/").status_code == 200
    sup = Console(app, "superviseur.chaumont")
    me = ids(app)["agents"]["superviseur.chaumont"]
    target = ids(app)["agents"]["agent.chaumont"]
    assert sup.post(PAGE + f"/agents/{target}/active", json=False, active="0").status_code == 303
    r = agent.get("/agent/")
    assert r.status_code == 303 and "/agent/login" in r.headers["Location"]
    with pytest.raises(AssertionError):
        Console(app, "agent.chaumont")  # the login is refused
    # A supervisor cannot lock themselves out.
    r = sup.post(PAGE + f"/agents/{me}/active", json=False, active="0")
    assert r.status_code == 400 and "propre compte" in r.get_data(as_text=True)
    assert sup.post(PAGE + f"/agents/{target}/active", json=False, active="1").status_code == 303
    assert Console(app, "agent.chaumont").get("/agent/").status_code == 200


def test_the_reset_password_replaces_the_old_one_and_ends_open_sessions(app):
    sup = Console(app, "superviseur.chaumont")
    target = ids(app)["agents"]["agent.chaumont"]
    before = Console(app, "agent.chaumont")  # a tablet signed in with the old password
    assert before.get("/agent/").status_code == 200
    assert sup.post(PAGE + f"/agents/{target}/password", json=False, password="nouveau secret 2026").status_code == 303
    with pytest.raises(AssertionError):
        Console(app, "agent.chaumont")
    assert Console(app, "agent.chaumont", password="nouveau secret 2026").get("/agent/").status_code == 200
    assert before.get("/agent/").status_code == 303  # back to the login page
    assert sup.get("/agent/").status_code == 200  # the supervisor who reset it stays signed in


def test_sites_are_added_from_the_command_line(instance):  # noqa: F811
    ok = accueil(instance, "site", "add", "langres", "Caf de la Haute-Marne — Langres")
    assert ok.returncode == 0, ok.stderr
    assert "langres" in ok.stdout
    again = accueil(instance, "site", "add", "langres", "Encore")
    assert again.returncode == 1 and "existe déjà" in again.stderr and "Traceback" not in again.stderr
    sup = accueil(instance, "agent", "add", "chef.langres", "--site", "langres", "--supervisor", "--password-stdin",
                  stdin="un mot de passe long\n")
    assert sup.returncode == 0, sup.stderr


def test_the_screens_messages_are_managed_in_their_section(app):
    sup = Console(app, "superviseur.chaumont")
    r = sup.post(PAGE + "/messages", json=False, text="Tutoriels faciles à lire", link="https://www.caf.fr/tutos")
    assert r.status_code == 303 and r.headers["Location"].endswith(PAGE + "/messages#message-new")
    html = sup.get(PAGE + "/messages").get_data(as_text=True)
    assert 'id="message-new-done">Le message est ajouté aux écrans.</p>' in html and "Tutoriels faciles à lire" in html
    new = ids(app)["messages"][-1]
    bad = sup.post(PAGE + f"/messages/{new}", json=False, text="Tutoriels", link="javascript:alert(1)")
    assert bad.status_code == 400 and f'id="message-{new}-link-error"' in bad.get_data(as_text=True)
    assert sup.post(PAGE + f"/messages/{new}/delete", json=False).status_code == 303
    assert new not in ids(app)["messages"]
    theirs = ids(app, "saint-dizier")["messages"][0]
    assert sup.post(PAGE + f"/messages/{theirs}/delete", json=False).status_code == 404
    assert theirs in ids(app, "saint-dizier")["messages"]


def test_the_offices_logo_and_colour_reach_its_pages_and_nothing_in_a_logo_can_run(app):
    import io

    from tests.unit.test_branding import SVG, png
    from tests.web.test_kiosk import present

    sup = Console(app, "superviseur.chaumont")
    data = {"csrf_token": sup.token, "accent": "#1b5e20", "logo": (io.BytesIO(png()), "logo.png", "image/png")}
    r = sup.client.post(PAGE + "/branding", data=data, content_type="multipart/form-data")
    assert r.status_code == 303 and r.headers["Location"].endswith(PAGE + "/site#branding")
    assert 'id="branding-done"' in sup.get(PAGE + "/site").get_data(as_text=True)
    phone = app.test_client()
    present(app, phone)
    page = phone.get("/k/chaumont").get_data(as_text=True)
    logo = re.search(r'<img class="brand-logo" src="([^"]+)"', page).group(1)
    theme = re.search(r'<link rel="stylesheet" href="(/site/chaumont/theme.css[^"]*)"', page).group(1)
    assert re.sub(r"<[^>]+>", "", page.split('class="brand-name">', 1)[1][:120]).startswith("Caf de la Haute-Marne")
    served = phone.get(logo)
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == png()
    assert "sandbox" in served.headers["Content-Security-Policy"] and served.headers["X-Content-Type-Options"] == "nosniff"
    assert phone.get(theme.replace("&amp;", "&")).get_data(as_text=True).strip() == ":root { --accent: #1b5e20; }"
    # A script in an SVG is refused beside its field, and the logo stays the one before.
    before = table_counts(db(app))
    bad = {"csrf_token": sup.token, "accent": "#1b5e20",
           "logo": (io.BytesIO(SVG.replace(b"<rect", b'<rect onclick="alert(1)"')), "logo.svg", "image/svg+xml")}
    r = sup.client.post(PAGE + "/branding", data=bad, content_type="multipart/form-data")
    assert r.status_code == 400 and 'id="branding-logo-error"' in r.get_data(as_text=True)
    assert table_counts(db(app)) == before and phone.get(logo).data == png()
    light = sup.client.post(PAGE + "/branding", data={"csrf_token": sup.token, "accent": "#ffd43b"},
                            content_type="multipart/form-data")
    assert light.status_code == 400 and 'id="branding-accent-error"' in light.get_data(as_text=True)
    assert phone.get("/site/saint-dizier/logo").status_code == 404  # the other site has none
    assert phone.get("/site/nowhere/theme.css").status_code == 404
