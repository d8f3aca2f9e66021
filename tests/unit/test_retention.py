"""The purge erases NIR, hash and phone at the end of the retention, and keeps the history."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import update
from sqlmodel import select

from accueil import tickets
from accueil.checkin import check_in
from accueil.models import Appointment, Site, Ticket, TicketTransition
from accueil.retention import purge
from tests.conftest import NOW, make_nir


def visit(db, vault, office, i, now=NOW):
    with db.write_session() as s:
        t = check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=make_nir(i),
                     phone="0612345678", now=now).ticket
        tickets.call_ticket(s, site_id=office.site_id, ticket_id=t.id, desk_id=office.zone_desk, now=now)
        tickets.start(s, site_id=office.site_id, ticket_id=t.id, now=now)
        tickets.finish(s, site_id=office.site_id, ticket_id=t.id, now=now + timedelta(minutes=5))
        s.add(Appointment(site_id=office.site_id, service_day=t.service_day, at=now, nir_hash=vault.hash_nir(make_nir(i))))
        s.commit()
    return t


def run_purge(db, now):
    with db.write_session() as s:
        report = purge(s, now=now)
        s.commit()
    return report


def test_nothing_is_erased_during_the_service_day(database, vault, office):
    visit(database, vault, office, 1)
    # 23:59 in Paris on the same day (UTC+1 in November).
    report = run_purge(database, datetime(2026, 11, 26, 22, 59, tzinfo=timezone.utc))
    assert (report.tickets, report.appointments) == (0, 0)


def test_personal_data_is_erased_at_the_end_of_the_day_and_the_history_stays(database, vault, office):
    t = visit(database, vault, office, 1)
    with database.session() as s:
        history_before = [(h.kind, h.at) for h in s.exec(select(TicketTransition)).all()]
    report = run_purge(database, datetime(2026, 11, 26, 23, 0, tzinfo=timezone.utc))  # Paris midnight
    assert (report.tickets, report.appointments) == (1, 1)
    with database.session() as s:
        row = s.get(Ticket, t.id)
        assert (row.nir_enc, row.nir_hash, row.phone_enc) == (None, None, None)
        assert row.purged_at is not None
        assert (row.code, row.status, row.arrived_at, row.called_at, row.finished_at) == (
            t.code, "done", t.arrived_at, NOW, NOW + timedelta(minutes=5))
        assert [(h.kind, h.at) for h in s.exec(select(TicketTransition)).all()] == history_before
        assert s.exec(select(Appointment)).one().nir_hash is None
    assert run_purge(database, datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)).tickets == 0  # idempotent


def test_a_site_can_keep_data_longer(database, vault, office):
    visit(database, vault, office, 1)
    with database.write_session() as s:
        s.execute(update(Site).where(Site.id == office.site_id).values(retention_hours=48))
        s.commit()
    assert run_purge(database, datetime(2026, 11, 28, 22, 59, tzinfo=timezone.utc)).tickets == 0
    assert run_purge(database, datetime(2026, 11, 28, 23, 0, tzinfo=timezone.utc)).tickets == 1


def test_the_day_ends_at_paris_midnight_across_daylight_saving(database, vault, office):
    # 25 Oct 2026 is the autumn change: that day lasts 25 hours; midnight ending it is 23:00 UTC.
    visit(database, vault, office, 1, now=datetime(2026, 10, 25, 10, 0, tzinfo=timezone.utc))
    assert run_purge(database, datetime(2026, 10, 25, 22, 59, tzinfo=timezone.utc)).tickets == 0
    assert run_purge(database, datetime(2026, 10, 25, 23, 0, tzinfo=timezone.utc)).tickets == 1


def test_only_expired_days_are_erased(database, vault, office):
    old = visit(database, vault, office, 1, now=NOW - timedelta(days=1))
    today = visit(database, vault, office, 2)
    assert run_purge(database, NOW).tickets == 1
    with database.session() as s:
        assert s.get(Ticket, old.id).nir_hash is None
        assert s.get(Ticket, today.id).nir_hash is not None


def test_the_push_subscription_goes_with_the_phone_and_ended_sessions_are_forgotten(database, vault, office):
    from accueil import agent_sessions, push_subscriptions
    from accueil.agents import add_agent
    from accueil.models import AgentSession, PushSubscription

    t = visit(database, vault, office, 1)
    with database.write_session() as s:
        ticket = s.get(Ticket, t.id)
        ticket.status = "waiting"  # subscribed while it waited
        push_subscriptions.subscribe(s, vault, ticket=ticket, now=NOW, subscription={
            "endpoint": "https://push.example.com/x", "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}})
        agent = add_agent(s, login="anne.chaumont", site_id=office.site_id, password="un mot de passe long")
        s.flush()
        ended = agent_sessions.open_session(s, agent_id=agent.id, now=NOW)
        agent_sessions.open_session(s, agent_id=agent.id, now=NOW)  # still open
        agent_sessions.end_session(s, secret=ended, now=NOW)
        s.commit()
    run_purge(database, datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc))  # the day is over, the end a day old
    with database.session() as s:
        assert s.exec(select(PushSubscription)).all() == []
        assert len(s.exec(select(AgentSession)).all()) == 1  # a day after its end, the ended one is gone
