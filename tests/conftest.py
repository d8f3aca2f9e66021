"""Shared fixtures: a file database (SQLite by default), a vault and a small site."""
from __future__ import annotations

import os
import threading
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel
from stdnum.fr import nir as stdnum_nir

from accueil import agents
from accueil.clock import end_of_service_day, service_day, utcnow
from accueil.db import Database
from accueil.identity import Vault
from accueil.models import APPOINTMENT, DESKS, WALK_IN, ZONE, Desk, DeskQueue, Queue, Site

# The accounts tests make by the hundred get a cheap hash (the product keeps Werkzeug's scrypt cost):
# about 1 ms instead of 0.1 s each, for every agent of the demo data and every sign-in.
agents.PASSWORD_METHOD = "scrypt:1024:8:1"

# A winter weekday, 10:00 in Paris.
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


def later_today(minutes: int, tz: str = "Europe/Paris") -> datetime:
    """Return now + *minutes* to the minute, kept inside today's service day at *tz*.

    Tests that book against the real clock run at any hour (CI runs at night): at 23:30 in Paris, « in two
    hours » is tomorrow, where today's check-in rightly finds nothing.
    """
    now = utcnow()
    day = service_day(now, tz)
    first = datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)
    last = end_of_service_day(day, tz) - timedelta(minutes=1)
    return min(max(now + timedelta(minutes=minutes), first), last).replace(second=0, microsecond=0)


def daytime_zone() -> str:
    """Return a site time zone where it is now between 01:00 and 23:00: an hour's past and future are today."""
    return next(tz for tz in ("Europe/Paris", "America/Cayenne", "Asia/Tokyo")
                if 1 <= utcnow().astimezone(ZoneInfo(tz)).hour < 23)


def set_daytime_zone(db, site_id: int) -> None:
    """Put the site on a clock where it is daytime (``daytime_zone``), committed before anything reads it."""
    with db.write_session() as s:
        s.get(Site, site_id).timezone = daytime_zone()
        s.commit()


def make_nir(i: int, sex: int = 1) -> str:
    """Return a valid, distinct NIR for each i (test data, not a real person)."""
    body = f"{sex}85{i % 12 + 1:02d}75056{i // 12 % 999 + 1:03d}"
    return body + stdnum_nir.calc_check_digits(body)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the whole run (started in a temporary directory)."""
    from tests.pg import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """An empty database with the schema, on each engine: a SQLite file, then a real PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    db = Database(url)
    db.create_all()
    yield db
    db.dispose()
    if request.param == "postgresql":
        request.getfixturevalue("postgres").drop_database(url)


ENGINES = ("sqlite", "postgresql")


def pytest_configure(config):
    config.addinivalue_line("markers", "both_engines: run the test's app on SQLite and on a real PostgreSQL")


def pytest_collection_modifyitems(config, items):
    """On the PostgreSQL pass (ACCUEIL_TEST_ENGINE=postgresql), keep only the tests whose app runs on
    the chosen engine: the others would run exactly as in the first pass."""
    if os.environ.get("ACCUEIL_TEST_ENGINE") != "postgresql":
        return
    same = [item for item in items if "engine" not in getattr(item, "fixturenames", ())]
    if same:
        config.hook.pytest_deselected(items=same)
        items[:] = [item for item in items if item not in same]


def pytest_generate_tests(metafunc):
    """Give the tests marked both_engines one run per engine (ids [sqlite] and [postgresql])."""
    if "engine" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_engines"):
        metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture
def engine(request):
    """The engine of the app under test: the test's parameter, else ACCUEIL_TEST_ENGINE, else SQLite."""
    name = getattr(request, "param", None) or os.environ.get("ACCUEIL_TEST_ENGINE") or "sqlite"
    if name not in ENGINES:
        raise ValueError(f"ACCUEIL_TEST_ENGINE must be one of {ENGINES}")
    return name


@pytest.fixture
def app_database(engine, request):
    """create_app settings of the engine: none on SQLite (the instance's file, a copy of the demo template),
    a new PostgreSQL database copied from the demo template else (tests/live.py)."""
    if engine == "sqlite":
        yield {}
        return
    from tests.live import TEMPLATE

    server = request.getfixturevalue("postgres")
    url = TEMPLATE.pg_database(server)
    yield {"DATABASE_URL": url}
    server.drop_database(url)


@pytest.fixture
def vault():
    return Vault(b"k" * 32)


class Office:
    """A site with an appointment queue R (two desks) and a zone N (2 seats, one helper desk)."""

    def __init__(self, db: Database, slug: str = "chaumont"):
        with db.write_session() as s:
            site = Site(slug=slug, name=slug.title())
            s.add(site)
            s.flush()
            self.site_id = site.id
            r = Queue(site_id=site.id, letter="R", name="Rendez-vous", kind=DESKS, purpose=APPOINTMENT)
            n = Queue(site_id=site.id, letter="N", name="Espace numérique", kind=ZONE, seats=2, purpose=WALK_IN)
            s.add_all([r, n])
            s.flush()
            self.r, self.n = r.id, n.id
            desks = [Desk(site_id=site.id, name=f"Bureau {i}") for i in (1, 2)] + [
                Desk(site_id=site.id, name="Espace numérique")
            ]
            s.add_all(desks)
            s.flush()
            self.desk1, self.desk2, self.zone_desk = (d.id for d in desks)
            s.add_all([DeskQueue(desk_id=self.desk1, queue_id=r.id), DeskQueue(desk_id=self.desk2, queue_id=r.id),
                       DeskQueue(desk_id=self.zone_desk, queue_id=n.id)])
            s.commit()


@pytest.fixture
def office(database):
    return Office(database)


def table_counts(db: Database) -> dict[str, int]:
    """Return the row count of every table (to assert that nothing was written)."""
    with db.session() as s:
        return {t: s.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in SQLModel.metadata.tables}


def act(db: Database, fn, **kw):
    """Run one domain operation in its own committed write session (now defaults to NOW)."""
    kw.setdefault("now", NOW)
    with db.write_session() as s:
        result = fn(s, **kw)
        s.commit()
    return result


def issue(db: Database, vault: Vault, office: Office, i: int, *, appointment_at=None, has_appointment=False,
          priority: int = 0, now=NOW):
    """Check in person *i* (with today's appointment at *appointment_at*, if given) and return the ticket."""
    from accueil.checkin import check_in
    from accueil.models import Appointment

    with db.write_session() as s:
        if appointment_at is not None:
            s.add(Appointment(site_id=office.site_id, service_day=appointment_at.date(), at=appointment_at,
                              nir_hash=vault.hash_nir(make_nir(i))))
            s.flush()
        t = check_in(s, vault, site_id=office.site_id, has_appointment=has_appointment or appointment_at is not None,
                     nir=make_nir(i), priority=priority, now=now).ticket
        s.commit()
    return t


PROCESSES = 8


@pytest.fixture
def engines(database):
    """Several Database objects on one database, as several processes would have.

    Within one Database, SQLite writers queue on a process lock (accueil.db); separate
    ones race for the database's own lock, which is what concurrency tests are about.
    """
    dbs = [database] + [Database(database.url, bus=database.bus) for _ in range(PROCESSES - 1)]
    yield dbs
    for db in dbs[1:]:
        db.dispose()


def run_threads(n, target):
    """Start *n* threads that wait on one barrier then run target(i); re-raise their errors."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def body(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001  (collected and re-raised below)
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
