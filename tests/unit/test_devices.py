"""Device enrolment: one-time links, secrets stored as hashes, revocation."""
from datetime import timedelta

import pytest

from accueil import devices
from accueil.errors import InvalidInput, NotFound
from tests.conftest import NOW


def enrol(db, office, kind="display"):
    with db.write_session() as s:
        device, token = devices.create_enrolment(s, site_id=office.site_id, kind=kind, label="Test", now=NOW)
        s.commit()
    return device, token


def test_enrol_then_authenticate(database, office):
    device, token = enrol(database, office)
    with database.write_session() as s:
        _, credential = devices.enrol(s, token, now=NOW + timedelta(minutes=5))
        s.commit()
    with database.session() as s:
        assert devices.authenticate(s, credential).id == device.id
        assert devices.authenticate(s, credential + "x") is None
        assert devices.authenticate(s, "nonsense") is None
        assert devices.authenticate(s, None) is None
    with database.write_session() as s:
        with pytest.raises(NotFound):
            devices.enrol(s, token, now=NOW)  # the link works once


def test_links_expire_after_a_day(database, office):
    _, token = enrol(database, office)
    with database.write_session() as s:
        with pytest.raises(NotFound):
            devices.enrol(s, token, now=NOW + timedelta(hours=25))


def test_a_revoked_device_stops_working(database, office):
    device, token = enrol(database, office, kind="kiosk")
    with database.write_session() as s:
        _, credential = devices.enrol(s, token, now=NOW)
        devices.revoke(s, device.id, now=NOW)
        s.commit()
    with database.session() as s:
        assert devices.authenticate(s, credential) is None


def test_unknown_kind_is_refused(database, office):
    with database.write_session() as s:
        with pytest.raises(InvalidInput):
            devices.create_enrolment(s, site_id=office.site_id, kind="toaster", label="Test", now=NOW)
