"""Import of the booking system's CSV export: counts asserted on the database."""
from datetime import datetime, timezone

import pytest
from sqlmodel import func, select

from accueil.appointment_import import import_appointments, read_csv
from accueil.errors import InvalidInput, NotFound
from accueil.models import Agent, Appointment
from tests.conftest import make_nir

GOOD = (
    "date;heure;nir;type;agent;bureau;motif\n"
    "2026-11-26;09:20;2 95 10 99 126 111 93;guichet;;Bureau 1;Logement\n"
    "26/11/2026;10h00;255081416802538;lsf;;;\n"
    "2026-11-26;14:30;253072A07300443;telephone;;;Rappel\n"
)


def run_import(db, vault, office, text):
    _, rows = read_csv(text)
    with db.write_session() as s:
        report = import_appointments(s, vault, site_id=office.site_id, rows=rows)
        s.commit()
    return report


def count(db):
    with db.session() as s:
        return s.exec(select(func.count()).select_from(Appointment)).one()


def test_a_good_file_then_the_same_file_again(database, vault, office):
    first = run_import(database, vault, office, GOOD)
    assert (first.created, first.updated, first.unchanged, first.rejected) == (3, 0, 0, [])
    again = run_import(database, vault, office, GOOD.replace(";", ","))  # comma-separated export too
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert count(database) == 3
    with database.session() as s:
        lsf = s.exec(select(Appointment).where(Appointment.kind == "lsf")).one()
        assert lsf.at == datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)  # 10:00 in Paris
        assert lsf.nir_hash == vault.hash_nir("255081416802538")
        assert s.exec(select(Appointment).where(Appointment.kind == "desk")).one().desk_id == office.desk1


def test_a_changed_line_is_an_update(database, vault, office):
    run_import(database, vault, office, GOOD)
    report = run_import(database, vault, office, GOOD.replace("Logement", "Prime d'activité"))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert count(database) == 3


def test_every_kind_of_bad_line_is_reported_and_the_good_ones_stored(database, vault, office):
    with database.write_session() as s:
        s.add(Agent(site_id=office.site_id, login="agent.x", password_hash="x"))
        s.commit()
    text = (
        "nir;date;heure;type;agent;bureau\n"              # any column order
        f"{make_nir(1)};2026-11-26;09:00;guichet;agent.x;\n"  # 2 good
        "295109912611199;2026-11-26;09:00;guichet;;\n"    # 3 wrong key
        "29510991261119;2026-11-26;09:00;guichet;;\n"     # 4 14 digits
        f"{make_nir(2)};2026-13-40;09:00;guichet;;\n"     # 5 bad date
        f"{make_nir(3)};2026-11-26;25:00;guichet;;\n"     # 6 bad time
        f"{make_nir(4)};2026-11-26;09:00;visio;;\n"       # 7 unknown type
        f"{make_nir(5)};2026-11-26;09:00;guichet;nobody;\n"  # 8 unknown agent
        f"{make_nir(6)};2026-11-26;09:00;guichet;;Bureau 9\n"  # 9 unknown desk
        "\n"
        f"{make_nir(7)};2026-11-26;09:40;telephone;;\n"   # 11 good
    )
    report = run_import(database, vault, office, text)
    assert report.created == 2
    assert [line for line, _ in report.rejected] == [3, 4, 5, 6, 7, 8, 9]
    for _, err in report.rejected:
        assert "295109912611199" not in err.message and "29510991261119" not in err.message
    assert count(database) == 2


def test_a_large_file_of_5000_appointments_is_imported_whole(database, vault, office):
    lines = ["date;heure;nir;type"] + [
        f"2026-11-{20 + i % 7:02d};{8 + i % 9:02d}:{i % 60:02d};{make_nir(i)};guichet" for i in range(5000)
    ]
    n, rows = read_csv("\n".join(lines))
    assert n == 5000
    with database.write_session() as s:
        report = import_appointments(s, vault, site_id=office.site_id, rows=rows)
        s.commit()
    assert (report.created, len(report.rejected)) == (5000, 0)
    assert count(database) == 5000


@pytest.mark.parametrize("text", ["", "date;heure\n2026-11-26;09:00\n"])
def test_unusable_files_are_refused_whole(text):
    with pytest.raises(InvalidInput):
        read_csv(text)


def test_unknown_site(database, vault):
    with database.write_session() as s:
        with pytest.raises(NotFound):
            import_appointments(s, vault, site_id=99, rows=[])


def test_an_import_that_changes_something_tells_the_live_clients_once(database, vault, office):
    from accueil.events import SiteChanged

    heard: list[SiteChanged] = []
    database.bus.subscribe(heard.append, of=SiteChanged)
    run_import(database, vault, office, GOOD)
    assert [(e.site_id, e.kind) for e in heard] == [(office.site_id, "appointments")]
    run_import(database, vault, office, GOOD)  # nothing new: nobody is disturbed
    assert len(heard) == 1
