"""Revealing a NIR: only to an agent of the ticket's site, always recorded, never logged."""
import logging

import pytest
from sqlmodel import select

from accueil import desks, tickets
from accueil.checkin import check_in
from accueil.errors import InvalidInput, NotFound
from accueil.identity import format_nir
from accueil.models import AGENT, SUPERVISOR, Agent, NirReveal
from accueil.reveal import NotInHand, reveal_nir
from tests.conftest import NOW, Office, make_nir, table_counts


def agent(db, site_id, login, active=True, role=SUPERVISOR):
    with db.write_session() as s:
        a = Agent(site_id=site_id, login=login, password_hash="x", role=role, active=active)
        s.add(a)
        s.commit()
        return a.id


def ticket(db, vault, site_id, nir):
    with db.write_session() as s:
        t = check_in(s, vault, site_id=site_id, has_appointment=False, nir=nir, now=NOW).ticket
        s.commit()
        return t.id


def test_reveal_returns_the_number_and_records_who_when_which(database, vault, office, caplog):
    caplog.set_level(logging.DEBUG)
    anne = agent(database, office.site_id, "anne")
    nir = make_nir(7)
    tid = ticket(database, vault, office.site_id, nir)
    with database.write_session() as s:
        shown = reveal_nir(s, vault, site_id=office.site_id, ticket_id=tid, agent_id=anne, now=NOW)
        s.commit()
    assert shown == format_nir(nir)
    with database.session() as s:
        rows = s.exec(select(NirReveal)).all()
    assert [(r.ticket_id, r.agent_id, r.at) for r in rows] == [(tid, anne, NOW)]
    assert nir not in caplog.text and shown not in caplog.text


@pytest.mark.parametrize("case", ["other_site_agent", "other_site_ticket", "inactive", "unknown", "bad_id"])
def test_reveal_is_refused_outside_the_agents_site(database, vault, office, case):
    other = Office(database, slug="saint-dizier")
    anne = agent(database, office.site_id, "anne")
    tid = ticket(database, vault, office.site_id, make_nir(1))
    far = ticket(database, vault, other.site_id, make_nir(2))
    args = {"site_id": office.site_id, "ticket_id": tid, "agent_id": anne}
    if case == "other_site_agent":
        args.update(agent_id=agent(database, other.site_id, "zoe"))
    elif case == "other_site_ticket":
        args.update(ticket_id=far)
    elif case == "inactive":
        args.update(agent_id=agent(database, office.site_id, "gone", active=False))
    elif case == "unknown":
        args.update(ticket_id=99999)
    else:
        args.update(ticket_id="1")
    before = table_counts(database)
    # A malformed id is bad input; every other case looks like a ticket that does not exist.
    expected = InvalidInput if case == "bad_id" else NotFound
    with database.write_session() as s, pytest.raises(expected) as err:
        reveal_nir(s, vault, now=NOW, **args)
    assert type(err.value) is expected
    assert make_nir(1) not in str(err.value) and make_nir(2) not in str(err.value)
    assert table_counts(database) == before


def test_a_ticket_without_number_has_nothing_to_reveal(database, vault, office):
    anne = agent(database, office.site_id, "anne")
    with database.write_session() as s:
        tid = check_in(s, vault, site_id=office.site_id, has_appointment=False, nir=None, now=NOW).ticket.id
        s.commit()
    with database.write_session() as s, pytest.raises(NotFound):
        reveal_nir(s, vault, site_id=office.site_id, ticket_id=tid, agent_id=anne, now=NOW)
    with database.session() as s:
        assert s.exec(select(NirReveal)).all() == []


def test_an_agent_sees_the_number_of_the_visitor_in_hand_only(database, vault, office):
    paul = agent(database, office.site_id, "paul", role=AGENT)
    waiting, called = ticket(database, vault, office.site_id, make_nir(11)), ticket(database, vault, office.site_id,
                                                                                        make_nir(12))
    with database.write_session() as s:
        desks.take(s, site_id=office.site_id, desk_id=office.zone_desk, agent_id=paul, now=NOW)
        tickets.call_ticket(s, site_id=office.site_id, ticket_id=called, desk_id=office.zone_desk, agent_id=paul,
                            now=NOW)
        s.commit()
    before = table_counts(database)
    with database.write_session() as s, pytest.raises(NotInHand) as err:
        reveal_nir(s, vault, site_id=office.site_id, ticket_id=waiting, agent_id=paul, now=NOW)
    assert make_nir(11) not in err.value.message
    assert table_counts(database) == before  # refused: not even a record of asking
    with database.write_session() as s:
        assert reveal_nir(s, vault, site_id=office.site_id, ticket_id=called, agent_id=paul,
                          now=NOW) == format_nir(make_nir(12))
        s.commit()
    with database.write_session() as s:  # the supervisor may see any ticket of the site
        sup = agent(database, office.site_id, "sophie")
        assert reveal_nir(s, vault, site_id=office.site_id, ticket_id=waiting, agent_id=sup,
                          now=NOW) == format_nir(make_nir(11))
