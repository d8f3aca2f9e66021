"""Prepared statements run on the driver's cursor as SQLAlchemy would run them, on both engines."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import ArgumentError, IntegrityError

from accueil.models import Site, Ticket
from accueil.statements import Prepared
from tests.conftest import Office

AT = datetime(2026, 11, 26, 9, 30, 15, 250000, tzinfo=timezone.utc)
TICKET = dict(public_id="p" * 20, site_id=None, service_day=date(2026, 11, 26), letter="N", number=7, queue_id=None,
              status="waiting", arrived_at=AT, queued_at=AT, due_at=AT)

_INSERT = Prepared(insert(Ticket).returning(Ticket.id))
_BY_DAY = Prepared(select(Ticket.id, Ticket.arrived_at, Ticket.service_day, Ticket.left, Ticket.recalls, Ticket.locale)
                   .where(Ticket.site_id == bindparam("site"), Ticket.service_day == bindparam("day"),
                          Ticket.arrived_at >= bindparam("since")).limit(5))


@pytest.fixture
def place(database, office):
    return database, office


def ticket(office: Office, **kw) -> dict:
    return TICKET | {"site_id": office.site_id, "queue_id": office.n} | kw


def test_an_insert_takes_the_column_defaults_and_a_select_reads_its_types_back(place):
    db, office = place
    with db.write_session() as s:
        conn = s.connection()
        ticket_id = _INSERT.scalar(conn, ticket(office))
        row = _BY_DAY.first(conn, {"site": office.site_id, "day": date(2026, 11, 26), "since": AT - timedelta(1)})
        s.commit()
    # The same row as SQLAlchemy's own path reads it: the instant aware (UTC), the day a date, defaults stored.
    with db.session() as s:
        orm = s.get(Ticket, ticket_id)
    assert row.id == ticket_id
    assert row.arrived_at == AT and row.arrived_at.tzinfo is not None
    assert row.service_day == date(2026, 11, 26)
    assert (row.left, row.recalls, row.locale) == (False, 0, "fr")
    assert (orm.arrived_at, orm.recalls, orm.locale, orm.channel) == (AT, 0, "fr", "self")
    assert row._asdict()["recalls"] == 0


def test_binds_are_converted_as_sqlalchemy_converts_them(place):
    """An aware instant bound in a comparison matches the stored one (SQLite stores naive UTC text)."""
    db, office = place
    with db.write_session() as s:
        _INSERT.run(s.connection(), ticket(office))
        s.commit()
    with db.session() as s:
        conn = s.connection()
        found = _BY_DAY.run(conn, {"site": office.site_id, "day": date(2026, 11, 26), "since": AT})
        later = _BY_DAY.run(conn, {"site": office.site_id, "day": date(2026, 11, 26), "since": AT + timedelta(seconds=1)})
    assert len(found) == 1 and later == []


def test_a_statement_runs_in_the_sessions_transaction(place):
    db, office = place
    with db.write_session() as s:
        _INSERT.run(s.connection(), ticket(office))
        s.rollback()
    with db.session() as s:
        assert s.exec(select(Ticket.id)).all() == []


def test_a_unique_key_taken_is_sqlalchemys_integrity_error_without_the_values(place):
    """The caller's ``except IntegrityError`` still works, and the message holds none of the values."""
    db, office = place
    secret = "NIR-LIKE-VALUE-12345"
    with db.write_session() as s:
        conn = s.connection()
        _INSERT.run(conn, ticket(office, nir_hash=secret))
        with pytest.raises(IntegrityError) as caught:
            _INSERT.run(conn, ticket(office, nir_hash=secret))  # the same public id, number and NIR hash
    assert secret not in str(caught.value)
    assert "p" * 20 not in str(caught.value)


def test_a_missing_value_is_refused_before_the_database_is_asked(place):
    db, office = place
    with db.session() as s, pytest.raises(ArgumentError):
        _BY_DAY.run(s.connection(), {"site": office.site_id, "day": date(2026, 11, 26)})


def test_update_returning_and_plain_update(place):
    db, office = place
    bump = Prepared(update(Site).where(Site.id == bindparam("site")).values(version=Site.version + 1)
                    .returning(Site.version))
    rename = Prepared(update(Site).where(Site.id == bindparam("site")).values(name=bindparam("new_name")))
    with db.write_session() as s:
        conn = s.connection()
        first = bump.scalar(conn, {"site": office.site_id})
        assert bump.scalar(conn, {"site": office.site_id}) == first + 1
        assert rename.run(conn, {"site": office.site_id, "new_name": "Chaumont centre"}) == []
        assert bump.scalar(conn, {"site": 10**9}) is None  # no such row: no row back
        s.commit()
    with db.session() as s:
        assert s.get(Site, office.site_id).name == "Chaumont centre"
