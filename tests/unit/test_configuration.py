"""A site's configuration by its supervisors: checked input, own site only, one event after commit."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import select

from accueil import configuration as conf
from accueil import desks as desk_rules
from accueil import tickets
from accueil.agents import add_agent, authenticate
from accueil.errors import InvalidInput, NotFound
from accueil.events import SiteChanged, TicketEvent
from accueil.models import ZONE, Agent, Desk, DeskQueue, Queue, Site
from tests.conftest import NOW, Office, act, issue, table_counts

PASSWORD = "un mot de passe long"


@pytest.fixture
def seen(database):
    events: list = []
    database.bus.subscribe(events.append, of=SiteChanged)
    return events


def site(db, site_id) -> Site:
    with db.session() as s:
        return s.get(Site, site_id)


def refused(db, fn, field: str, **kw) -> InvalidInput:
    """Run *fn*, expect InvalidInput on *field*, and check that nothing at all was stored."""
    before = table_counts(db)
    versions = {s.id: s.version for s in _sites(db)}
    with pytest.raises(InvalidInput) as caught:
        act(db, fn, **kw)
    assert caught.value.field == field, caught.value.message
    assert table_counts(db) == before
    assert {s.id: s.version for s in _sites(db)} == versions
    return caught.value


def _sites(db):
    with db.session() as s:
        return list(s.exec(select(Site)).all())


# --- site settings ---------------------------------------------------------------------------

SETTINGS = dict(name="Caf de Chaumont", retention_hours="48", checkin_early_minutes="20", checkin_late_minutes="5",
                assigned_wait_minutes="0", priority_rule="time")


def test_site_settings_are_stored_and_announced_after_commit(database, office, seen):
    version = site(database, office.site_id).version
    with database.write_session() as s:
        conf.update_site(s, site_id=office.site_id, now=NOW, **SETTINGS)
        assert seen == []  # nothing goes out before the commit
        s.commit()
    stored = site(database, office.site_id)
    assert (stored.name, stored.retention_hours, stored.checkin_early_minutes, stored.checkin_late_minutes,
            stored.assigned_wait_minutes, stored.priority_rule) == ("Caf de Chaumont", 48, 20, 5, 0, "time")
    assert stored.version == version + 1
    assert seen == [SiteChanged(site_id=office.site_id, version=version + 1, at=NOW)]


@pytest.mark.parametrize("field,bad", [
    ("name", "   "), ("name", "x" * 121), ("retention_hours", "-1"), ("retention_hours", "721"),
    ("retention_hours", "douze"), ("checkin_early_minutes", ""), ("checkin_late_minutes", "241"),
    ("assigned_wait_minutes", "1.5"), ("priority_rule", "random"),
])
def test_bad_site_settings_are_refused_and_nothing_changes(database, office, seen, field, bad):
    err = refused(database, conf.update_site, field, site_id=office.site_id, **{**SETTINGS, field: bad})
    assert err.message and "%(" not in err.message
    assert site(database, office.site_id).name == "Chaumont" and seen == []


def test_a_rolled_back_change_announces_nothing(database, office, seen):
    with database.write_session() as s:
        conf.update_site(s, site_id=office.site_id, now=NOW, **SETTINGS)
        s.rollback()
    assert seen == [] and site(database, office.site_id).name == "Chaumont"


def test_sites_are_created_by_administrators_with_a_unique_code(database):
    with database.write_session() as s:
        created = conf.create_site(s, slug="Langres", name="Caf de Langres")
        s.commit()
    assert created.slug == "langres" and created.timezone == "Europe/Paris"
    for kw, field in [(dict(slug="langres", name="Autre"), "slug"), (dict(slug="x", name="Court"), "slug"),
                      (dict(slug="cayenne", name="Cayenne", timezone="Mars/Olympus"), "timezone"),
                      (dict(slug="vide", name=" "), "name")]:
        with database.write_session() as s, pytest.raises(InvalidInput) as caught:
            conf.create_site(s, **kw)
        assert caught.value.field == field
    assert [x.slug for x in _sites(database)] == ["langres"]


# --- opening hours ---------------------------------------------------------------------------


def test_opening_hours_are_replaced_per_weekday_and_tell_whether_the_site_is_open(database, office, seen):
    days = {0: "08:30-12:00, 13:30-16:30", 2: "9h00-12h00", 5: ""}
    act(database, conf.set_opening_hours, site_id=office.site_id, days=days)
    with database.session() as s:
        hours = conf.opening_hours(s, office.site_id)
        the_site = s.get(Site, office.site_id)
        # NOW is Thursday 26 November 2026, 10:00 in Paris: closed all day (no hours on Thursday).
        assert conf.closed_now(s, the_site, NOW) == conf.Closed(None)
        monday = lambda h, m: datetime(2026, 11, 23, h, m, tzinfo=timezone.utc)  # noqa: E731 (UTC = Paris - 1 h)
        assert conf.closed_now(s, the_site, monday(9, 0)) is None  # 10:00: open
        assert conf.closed_now(s, the_site, monday(11, 45)) == conf.Closed(monday(12, 30))  # lunch: opens 13:30
        assert conf.closed_now(s, the_site, monday(7, 0)) == conf.Closed(monday(7, 30))  # 08:00: opens 08:30
        assert conf.closed_now(s, the_site, monday(15, 30)) == conf.Closed(None)  # 16:30: done for the day
    assert hours[0] == [(510, 720), (810, 990)] and hours[2] == [(540, 720)] and hours[3] == []
    assert conf.format_periods(hours[0]) == "08:30-12:00, 13:30-16:30"
    act(database, conf.set_opening_hours, site_id=office.site_id, days={1: "10:00-11:00"})
    with database.session() as s:
        assert conf.opening_hours(s, office.site_id) == {0: [], 1: [(600, 660)], 2: [], 3: [], 4: [], 5: [], 6: []}
    assert len(seen) == 2
    act(database, conf.set_opening_hours, site_id=office.site_id, days={})
    with database.session() as s:
        assert conf.closed_now(s, s.get(Site, office.site_id), NOW) is None  # no hours set: never « closed »


@pytest.mark.parametrize("text", ["8-12", "12:00-08:00", "25:00-26:00", "08:00-12:00, 11:00-13:00", "08:70-09:00",
                                  "08:00-09:00, 10:00-11:00, 12:00-13:00, 14:00-15:00", "24:30-24:45"])
def test_bad_opening_hours_are_refused_with_the_day_named(database, office, text):
    refused(database, conf.set_opening_hours, "hours-4", site_id=office.site_id, days={0: "08:00-12:00", 4: text})


# --- queues ----------------------------------------------------------------------------------


def test_a_queue_letter_is_one_per_site_and_a_zone_needs_seats(database, office, seen):
    other = Office(database, "saint-dizier")
    q = act(database, conf.create_queue, site_id=office.site_id, letter="f", name=" Familles ", kind="desks",
            seats="12", purpose="")
    assert (q.letter, q.name, q.kind, q.seats, q.purpose) == ("F", "Familles", "desks", None, None)
    act(database, conf.create_queue, site_id=other.site_id, letter="F", name="Familles", kind="desks")
    err = refused(database, conf.create_queue, "letter", site_id=office.site_id, letter="F", name="Autre",
                  kind="desks")
    assert "Familles" in err.message
    for letter in ("", "AB", "é", "1"):
        refused(database, conf.create_queue, "letter", site_id=office.site_id, letter=letter, name="X", kind="desks")
    for seats in ("", "0", "-2", "beaucoup"):
        refused(database, conf.create_queue, "seats", site_id=office.site_id, letter="Z", name="Zone", kind=ZONE,
                seats=seats)
    refused(database, conf.create_queue, "kind", site_id=office.site_id, letter="Z", name="Zone", kind="guichet")
    refused(database, conf.create_queue, "purpose", site_id=office.site_id, letter="Z", name="Zone", kind="desks",
            purpose="vip")
    zone = act(database, conf.create_queue, site_id=office.site_id, letter="Z", name="Zone", kind=ZONE, seats="3",
               purpose="walk_in")
    assert (zone.kind, zone.seats, zone.purpose) == (ZONE, 3, "walk_in")
    assert [e.site_id for e in seen] == [office.site_id, other.site_id, office.site_id]  # one per committed change


def test_a_queue_with_tickets_in_progress_is_not_closed_and_the_message_says_why(database, vault, office):
    ticket = issue(database, vault, office, 1)  # walk-in: the zone N
    act(database, conf.create_queue, site_id=office.site_id, letter="W", name="Accueil", kind="desks",
        purpose="walk_in")
    err = refused(database, conf.set_queue_active, "active", site_id=office.site_id, queue_id=office.n, active=False)
    assert "1 ticket(s)" in err.message and "N" in err.message
    act(database, tickets.cancel, site_id=office.site_id, ticket_id=ticket.id)
    act(database, conf.set_queue_active, site_id=office.site_id, queue_id=office.n, active=False)
    with database.session() as s:
        assert s.get(Queue, office.n).active is False
    act(database, conf.set_queue_active, site_id=office.site_id, queue_id=office.n, active=True)


def test_arrivals_always_keep_a_queue(database, office):
    """Closing (or repurposing) the only queue for walk-ins would leave visitors without a ticket."""
    err = refused(database, conf.set_queue_active, "active", site_id=office.site_id, queue_id=office.n, active=False)
    assert "sans rendez-vous" in err.message
    err = refused(database, conf.update_queue, "purpose", site_id=office.site_id, queue_id=office.r,
                  name="Rendez-vous", kind="desks", purpose="")
    assert "avec rendez-vous" in err.message
    q = act(database, conf.update_queue, site_id=office.site_id, queue_id=office.n, name="Espace libre-service",
            kind=ZONE, seats="8", purpose="walk_in")
    assert (q.name, q.seats, q.letter) == ("Espace libre-service", 8, "N")


def test_another_sites_queue_is_not_found(database, office):
    other = Office(database, "saint-dizier")
    with pytest.raises(NotFound):
        act(database, conf.update_queue, site_id=office.site_id, queue_id=other.r, name="Pris", kind="desks",
            purpose="appointment")
    with pytest.raises(NotFound):
        act(database, conf.set_queue_active, site_id=office.site_id, queue_id=other.r, active=False)
    with database.session() as s:
        assert s.get(Queue, other.r).name == "Rendez-vous"


# --- desks -----------------------------------------------------------------------------------


def test_desks_serve_queues_of_their_own_site_with_their_equipment(database, office, seen):
    other = Office(database, "saint-dizier")
    desk = act(database, conf.create_desk, site_id=office.site_id, name="Bureau 4", queue_ids=[str(office.r)],
               capabilities=["lsf", "mobility"])
    assert desk.capabilities == 5
    with database.session() as s:
        assert conf.desk_queues(s, office.site_id)[desk.id] == [office.r]
    refused(database, conf.create_desk, "name", site_id=office.site_id, name="Bureau 4", queue_ids=[office.r],
            capabilities=[])
    refused(database, conf.create_desk, "queues", site_id=office.site_id, name="Bureau 5", queue_ids=[],
            capabilities=[])
    refused(database, conf.create_desk, "queues", site_id=office.site_id, name="Bureau 5", queue_ids=[other.r],
            capabilities=[])
    refused(database, conf.create_desk, "queues", site_id=office.site_id, name="Bureau 5", queue_ids=["R"],
            capabilities=[])
    refused(database, conf.create_desk, "capabilities", site_id=office.site_id, name="Bureau 5",
            queue_ids=[office.r], capabilities=["ascenseur"])
    act(database, conf.update_desk, site_id=office.site_id, desk_id=desk.id, name="Bureau 4 (rez-de-chaussée)",
        queue_ids=[office.r, office.n], capabilities=["mobility"])
    with database.session() as s:
        stored = s.get(Desk, desk.id)
        served = sorted(s.exec(select(DeskQueue.queue_id).where(DeskQueue.desk_id == desk.id)).all())
    assert (stored.name, stored.capabilities, served) == ("Bureau 4 (rez-de-chaussée)", 4, sorted([office.r, office.n]))
    refused(database, conf.update_desk, "name", site_id=office.site_id, desk_id=desk.id, name="Bureau 1",
            queue_ids=[office.r], capabilities=[])
    with pytest.raises(NotFound):
        act(database, conf.update_desk, site_id=office.site_id, desk_id=other.desk1, name="X", queue_ids=[office.r],
            capabilities=[])
    assert len(seen) == 2


def test_a_desk_in_use_is_not_closed(database, vault, office):
    with database.write_session() as s:
        agent = add_agent(s, login="marie", site_id=office.site_id, password=PASSWORD)
        s.commit()
    act(database, desk_rules.take, site_id=office.site_id, desk_id=office.desk1, agent_id=agent.id)
    err = refused(database, conf.set_desk_active, "active", site_id=office.site_id, desk_id=office.desk1,
                  active=False)
    assert "marie" in err.message
    issue(database, vault, office, 1, has_appointment=True)
    act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1, agent_id=agent.id)
    act(database, desk_rules.release, site_id=office.site_id, desk_id=office.desk1, agent_id=agent.id)
    err = refused(database, conf.set_desk_active, "active", site_id=office.site_id, desk_id=office.desk1,
                  active=False)
    assert "Terminez" in err.message
    act(database, conf.set_desk_active, site_id=office.site_id, desk_id=office.desk2, active=False)
    with database.session() as s:
        assert s.get(Desk, office.desk2).active is False


# --- agents ----------------------------------------------------------------------------------


def test_agents_are_created_disabled_enabled_and_given_a_new_password(database, office):
    other = Office(database, "saint-dizier")
    with database.write_session() as s:
        boss = add_agent(s, login="chef", site_id=office.site_id, password=PASSWORD, supervisor=True)
        stranger = add_agent(s, login="ailleurs", site_id=other.site_id, password=PASSWORD)
        s.commit()
    marie = act(database, conf.create_agent, site_id=office.site_id, login="Marie.Dupont", password=PASSWORD,
                role="agent")
    assert (marie.login, marie.role) == ("marie.dupont.chaumont", "agent")  # the site's suffix, added
    refused(database, conf.create_agent, "login", site_id=office.site_id, login="marie.dupont.chaumont",
            password=PASSWORD, role="agent")
    # Another site's login cannot be met: « ailleurs » becomes « ailleurs.chaumont », free here.
    assert act(database, conf.create_agent, site_id=office.site_id, login="ailleurs", password=PASSWORD,
               role="agent").login == "ailleurs.chaumont"
    refused(database, conf.create_agent, "password", site_id=office.site_id, login="paul", password="court",
            role="agent")
    refused(database, conf.create_agent, "role", site_id=office.site_id, login="paul", password=PASSWORD,
            role="admin")
    act(database, desk_rules.take, site_id=office.site_id, desk_id=office.desk1, agent_id=marie.id)
    act(database, conf.set_agent_active, site_id=office.site_id, agent_id=marie.id, active=False, by_agent_id=boss.id)
    with database.session() as s:
        assert authenticate(s, "marie.dupont.chaumont", PASSWORD) is None
        assert s.get(Desk, office.desk1).agent_id is None  # the desk is free for someone else
    act(database, conf.set_agent_active, site_id=office.site_id, agent_id=marie.id, active=True, by_agent_id=boss.id)
    act(database, conf.reset_password, site_id=office.site_id, agent_id=marie.id, password="un tout autre secret")
    with database.session() as s:
        assert authenticate(s, "marie.dupont.chaumont", PASSWORD) is None
        assert authenticate(s, "marie.dupont.chaumont", "un tout autre secret").id == marie.id
    refused(database, conf.reset_password, "password", site_id=office.site_id, agent_id=marie.id, password="123")
    refused(database, conf.set_agent_active, "active", site_id=office.site_id, agent_id=boss.id, active=False,
            by_agent_id=boss.id)
    for fn, kw in [(conf.set_agent_active, dict(active=False, by_agent_id=boss.id)),
                   (conf.reset_password, dict(password="un mot de passe pirate"))]:
        with pytest.raises(NotFound):
            act(database, fn, site_id=office.site_id, agent_id=stranger.id, **kw)
    with database.session() as s:
        assert s.get(Agent, stranger.id).active and authenticate(s, "ailleurs", PASSWORD) is not None


def test_ticket_subscribers_never_receive_configuration_events(database, office, seen):
    ticket_events: list = []
    database.bus.subscribe(ticket_events.append)
    act(database, conf.create_desk, site_id=office.site_id, name="Bureau 9", queue_ids=[office.r], capabilities=[])
    assert ticket_events == [] and len(seen) == 1
    assert all(isinstance(e, TicketEvent) for e in ticket_events)


def test_text_is_read_once_control_characters_refused_invisible_text_empty():
    from accueil.errors import InvalidInput
    from accueil.text import read_text

    assert read_text("  Bureau\t 3\n", field="name", limit=40) == "Bureau 3"
    assert read_text("Très bien.\nMerci  !", field="comment", limit=100, lines=True) == "Très bien.\nMerci !"
    assert read_text("\u200b\u200b \u2060", field="name", limit=40) == ""  # invisible only: empty
    assert read_text(12, field="name", limit=40) == ""
    for bad in ("a\x00b", "\x00", "nom\x1b[31m", "\x7f"):
        with pytest.raises(InvalidInput) as refused:
            read_text(bad, field="name", limit=40)
        assert refused.value.field == "name"
    with pytest.raises(InvalidInput):
        read_text("x" * 41, field="name", limit=40)


def test_the_hours_form_reads_times_closed_days_and_like_monday(database, office):
    answers = {0: conf.DayAnswer(periods=(("08:30", "12:00"), ("13:30", "16:30"), ("", ""))),
               1: conf.DayAnswer(like_monday=True, periods=(("10:00", "11:00"),)),  # « comme lundi » wins
               2: conf.DayAnswer(closed=True, periods=(("09:00", "10:00"),)),      # « Fermé » wins
               3: conf.DayAnswer(periods=(("14:00", "17:00"), ("9h00", "12:00"))),  # any order, « 9h00 » read
               4: conf.DayAnswer(periods=(("08:00", "24:00"),))}
    act(database, conf.set_opening_week, site_id=office.site_id, answers=answers)
    with database.session() as s:
        hours = conf.opening_hours(s, office.site_id)
    assert hours == {0: [(510, 720), (810, 990)], 1: [(510, 720), (810, 990)], 2: [], 3: [(540, 720), (840, 1020)],
                     4: [(480, 1440)], 5: [], 6: []}  # a day not given is closed


@pytest.mark.parametrize("periods,message", [
    ((("08:30", ""),), "cochez « Fermé »"), ((("12:00", "08:00"),), "après"), ((("24:00", "24:00"),), "après"),
    ((("25:00", "26:00"),), "n'existe pas"), ((("08:70", "09:00"),), "n'existe pas"), ((("midi", "14:00"),), "n'existe pas"),
    ((("08:00", "12:00"), ("11:00", "13:00")), "chevauchent"),
    ((("08:00", "09:00"), ("10:00", "11:00"), ("12:00", "13:00"), ("14:00", "15:00")), "au plus"),
])
def test_bad_hours_from_the_form_are_refused_with_the_day_named(database, office, periods, message):
    err = refused(database, conf.set_opening_week, "hours-5", site_id=office.site_id,
                  answers={0: conf.DayAnswer(periods=(("08:00", "12:00"),)), 5: conf.DayAnswer(periods=periods)})
    assert message in err.message_id % err.params


# --- the screens' messages -------------------------------------------------------------------


def test_screen_messages_are_written_changed_and_taken_off(database, office, seen):
    m = act(database, conf.create_display_message, site_id=office.site_id,
            text="  Prenez rendez-vous   par téléphone au 3230. ", link="")
    with database.session() as s:
        (stored,) = conf.display_messages(s, office.site_id)
    assert (stored.text, stored.link) == ("Prenez rendez-vous par téléphone au 3230.", None)
    act(database, conf.update_display_message, site_id=office.site_id, message_id=m.id,
        text="Tutoriels faciles à lire", link="https://www.caf.fr/tutoriels")
    with database.session() as s:
        (stored,) = conf.display_messages(s, office.site_id)
    assert (stored.text, stored.link) == ("Tutoriels faciles à lire", "https://www.caf.fr/tutoriels")
    act(database, conf.delete_display_message, site_id=office.site_id, message_id=m.id)
    with database.session() as s:
        assert conf.display_messages(s, office.site_id) == []
    assert len(seen) == 3  # each change reaches the screens (SiteChanged)


@pytest.mark.parametrize("text,link,field", [
    ("", None, "text"), ("\u200b ", None, "text"), ("Bonjour\x00", None, "text"), ("x" * 161, None, "text"),
    ("Tutoriels", "javascript:alert(1)", "link"), ("Tutoriels", "www.caf.fr", "link"), ("Tutoriels", "https://", "link"),
    ("Tutoriels", "https://caf.fr/a b", "link"), ("Tutoriels", "file:///etc/passwd", "link"),
    ("Tutoriels", "https://caf.fr/" + "a" * 300, "link"), ("Tutoriels", "https://caf.fr/\x07", "link"),
])
def test_a_bad_screen_message_is_refused_and_nothing_is_stored(database, office, text, link, field):
    refused(database, conf.create_display_message, field, site_id=office.site_id, text=text, link=link)


def test_screen_messages_are_few_and_of_their_own_site(database, office):
    other = Office(database, slug="langres")
    theirs = act(database, conf.create_display_message, site_id=other.site_id, text="Langres")
    for i in range(conf.MAX_MESSAGES):
        act(database, conf.create_display_message, site_id=office.site_id, text=f"Message {i}")
    refused(database, conf.create_display_message, "text", site_id=office.site_id, text="Un de trop")
    for fn, kw in ((conf.update_display_message, {"text": "Pris"}), (conf.delete_display_message, {})):
        with database.write_session() as s, pytest.raises(NotFound):
            fn(s, site_id=office.site_id, message_id=theirs.id, now=NOW, **kw)
