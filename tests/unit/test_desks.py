"""Desks: one agent per desk, confirmation to take one in use, pause, states for supervisors."""
from datetime import timedelta

import pytest

from accueil import desks, tickets
from accueil.checkin import check_in
from accueil.errors import NotFound
from accueil.models import AGENT, SUPERVISOR, Agent, Desk
from tests.conftest import NOW, Office, act, make_nir, table_counts


def add_agent(db, site_id, login, role=AGENT):
    with db.write_session() as s:
        agent = Agent(site_id=site_id, login=login, password_hash="x", role=role)
        s.add(agent)
        s.commit()
        return agent.id


@pytest.fixture
def people(database, office):
    return (add_agent(database, office.site_id, "anne"), add_agent(database, office.site_id, "bruno"),
            add_agent(database, office.site_id, "chef", SUPERVISOR))




def may_call(db, **kw):
    with db.write_session() as s:
        return desks.caller_desk(s, **kw)


def desk_row(db, desk_id):
    with db.session() as s:
        return s.get(Desk, desk_id)


def test_an_agent_takes_a_free_desk_and_leaves_the_previous_one(database, office, people):
    anne, _, _ = people
    taken = act(database, desks.take, site_id=office.site_id, desk_id=office.desk1, agent_id=anne)
    assert taken.previous_agent_id is None and taken.desk.agent_id == anne and taken.desk.taken_at == NOW
    act(database, desks.take, site_id=office.site_id, desk_id=office.desk2, agent_id=anne)
    assert desk_row(database, office.desk1).agent_id is None
    assert desk_row(database, office.desk2).agent_id == anne


def test_a_desk_in_use_needs_a_confirmation_and_names_whom_it_was_taken_from(database, office, people):
    anne, bruno, _ = people
    act(database, desks.take, site_id=office.site_id, desk_id=office.desk1, agent_id=anne)
    before = table_counts(database)
    with pytest.raises(desks.DeskInUse) as err:
        act(database, desks.take, site_id=office.site_id, desk_id=office.desk1, agent_id=bruno)
    assert "anne" in err.value.message and "Bureau 1" in err.value.message
    assert desk_row(database, office.desk1).agent_id == anne and table_counts(database) == before
    taken = act(database, desks.take, site_id=office.site_id, desk_id=office.desk1, agent_id=bruno, confirm=True)
    assert taken.previous_agent_id == anne and desk_row(database, office.desk1).agent_id == bruno


def test_taking_ones_own_desk_again_changes_nothing(database, office, people):
    anne, _, _ = people
    act(database, desks.take, site_id=office.site_id, desk_id=office.desk1, agent_id=anne)
    again = act(database, desks.take, site_id=office.site_id, desk_id=office.desk1, agent_id=anne,
                now=NOW + timedelta(minutes=5))
    assert again.previous_agent_id is None and again.desk.taken_at == NOW


def test_another_sites_desk_does_not_exist(database, office, people):
    other = Office(database, slug="saint-dizier")
    anne, _, _ = people
    for desk_id in (other.desk1, 999, 0, "1", None, True):
        with pytest.raises(NotFound):
            act(database, desks.take, site_id=office.site_id, desk_id=desk_id, agent_id=anne)
    stranger = add_agent(database, other.site_id, "zoe")
    with pytest.raises(NotFound):
        act(database, desks.take, site_id=office.site_id, desk_id=office.desk1, agent_id=stranger)
    assert desk_row(database, other.desk1).agent_id is None


def test_only_the_holder_of_an_open_desk_may_call(database, vault, office, people):
    anne, bruno, _ = people
    with pytest.raises(desks.NotYourDesk):
        may_call(database, site_id=office.site_id, agent_id=anne)
    act(database, desks.take, site_id=office.site_id, desk_id=office.desk1, agent_id=anne)
    with pytest.raises(desks.NotYourDesk):
        may_call(database, site_id=office.site_id, agent_id=bruno)
    with pytest.raises(desks.NotYourDesk):
        act(database, desks.pause, site_id=office.site_id, desk_id=office.desk1, agent_id=bruno)
    act(database, desks.pause, site_id=office.site_id, desk_id=office.desk1, agent_id=anne)
    with pytest.raises(desks.DeskPaused):
        may_call(database, site_id=office.site_id, agent_id=anne)
    act(database, desks.resume, site_id=office.site_id, desk_id=office.desk1, agent_id=anne)
    desk = may_call(database, site_id=office.site_id, agent_id=anne)
    assert desk.id == office.desk1 and desk.paused_at is None


def test_release_and_release_all(database, office, people):
    anne, bruno, _ = people
    act(database, desks.take, site_id=office.site_id, desk_id=office.desk1, agent_id=anne)
    with pytest.raises(desks.NotYourDesk):
        act(database, desks.release, site_id=office.site_id, desk_id=office.desk1, agent_id=bruno)
    act(database, desks.release, site_id=office.site_id, desk_id=office.desk1, agent_id=anne)
    assert desk_row(database, office.desk1).agent_id is None
    act(database, desks.take, site_id=office.site_id, desk_id=office.desk2, agent_id=bruno)
    with database.write_session() as s:
        assert [d.id for d in desks.release_all(s, agent_id=bruno, now=NOW)] == [office.desk2]
        s.commit()
    assert desk_row(database, office.desk2).agent_id is None


def test_states_say_free_calling_serving_paused_with_whom_and_since_when(database, vault, office, people):
    anne, bruno, chef = people
    with database.write_session() as s:
        check_in(s, vault, site_id=office.site_id, has_appointment=True, nir=make_nir(1), now=NOW)
        check_in(s, vault, site_id=office.site_id, has_appointment=True, nir=make_nir(2), now=NOW)
        s.commit()
    act(database, desks.take, site_id=office.site_id, desk_id=office.desk1, agent_id=anne)
    act(database, desks.take, site_id=office.site_id, desk_id=office.desk2, agent_id=bruno)
    act(database, desks.take, site_id=office.site_id, desk_id=office.zone_desk, agent_id=chef)
    first = act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk1, agent_id=anne,
                now=NOW + timedelta(minutes=1))
    second = act(database, tickets.call_next, site_id=office.site_id, desk_id=office.desk2, agent_id=bruno,
                 now=NOW + timedelta(minutes=2))
    act(database, tickets.start, site_id=office.site_id, ticket_id=second.id, desk_id=office.desk2,
        now=NOW + timedelta(minutes=3))
    act(database, desks.pause, site_id=office.site_id, desk_id=office.zone_desk, agent_id=chef,
        now=NOW + timedelta(minutes=4))
    with database.session() as s:
        by_name = {d.name: d for d in desks.states(s, site_id=office.site_id)}
    assert by_name["Bureau 1"].state == desks.CALLING and by_name["Bureau 1"].agent_login == "anne"
    assert by_name["Bureau 1"].since == NOW + timedelta(minutes=1) and by_name["Bureau 1"].tickets == (first.code,)
    assert by_name["Bureau 2"].state == desks.SERVING_STATE and by_name["Bureau 2"].since == NOW + timedelta(minutes=3)
    assert by_name["Espace numérique"].state == desks.PAUSED and by_name["Espace numérique"].agent_login == "chef"
    act(database, tickets.finish, site_id=office.site_id, ticket_id=second.id, desk_id=office.desk2)
    act(database, desks.release, site_id=office.site_id, desk_id=office.desk1, agent_id=anne)
    with database.session() as s:
        by_name = {d.name: d for d in desks.states(s, site_id=office.site_id)}
    assert by_name["Bureau 2"].state == desks.FREE and by_name["Bureau 2"].agent_login == "bruno"
    # The called ticket stays with Bureau 1, which nobody holds any more: still shown as calling.
    assert by_name["Bureau 1"].state == desks.CALLING and by_name["Bureau 1"].agent_login is None


def test_a_console_action_is_taken_by_the_agents_desk_and_only_there(database, vault, office, people):
    """accueil.console.act: a call goes to the agent's desk; a ticket in hand elsewhere is that desk's."""
    from accueil.console import act as console_act
    from accueil.errors import InvalidInput

    anne, bruno, chef = people
    for who, desk in ((anne, office.desk1), (bruno, office.desk2)):
        act(database, desks.take, site_id=office.site_id, desk_id=desk, agent_id=who)
    with database.write_session() as s:
        t = check_in(s, vault, site_id=office.site_id, has_appointment=True, nir=make_nir(1), now=NOW).ticket
        s.commit()

    def by(agent, action, supervisor=False, target=None):
        return act(database, console_act, site_id=office.site_id, agent_id=agent, supervisor=supervisor,
                   ticket_id=t.id, action=action, target=target)

    called = by(anne, "call")
    assert (called.ticket.status, called.ticket.desk_id, called.desk.id) == ("called", office.desk1, office.desk1)
    before = table_counts(database)
    with pytest.raises(InvalidInput):  # Bruno's desk did not call it
        by(bruno, "start")
    with pytest.raises(InvalidInput):  # a transfer needs « queue:ID » or « desk:ID »
        by(anne, "transfer", target="nowhere")
    with pytest.raises(NotFound):
        by(anne, "dance")
    assert table_counts(database) == before
    assert by(chef, "recall", supervisor=True).ticket.recalls == 1  # a supervisor may act anywhere
    moved = by(anne, "transfer", target=f"queue:{office.n}")
    assert (moved.moved_to, moved.ticket.status, moved.ticket.queue_id) == ("queue", "waiting", office.n)
