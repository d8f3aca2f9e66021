"""The supervisor's rules, without Flask: the day's wait per half hour, the alerts and what they ask, devices' health."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from accueil import desks, notices, stats
from accueil import supervision as rules
from accueil.models import Device

NOW = datetime(2026, 11, 26, 10, 10, tzinfo=timezone.utc)  # 11:10 in Paris


@dataclass
class Row:
    arrived_at: datetime
    wait_seconds: int | None
    status: str


def paris(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 26, hour - 1, minute, tzinfo=timezone.utc)


def test_the_days_wait_is_averaged_per_half_hour_of_arrival_on_the_sites_clock():
    rows = [Row(paris(9, 5), 10 * 60, "done"), Row(paris(9, 20), 30 * 60, "done"),  # 09:00: (10 + 30) / 2
            Row(paris(10, 40), None, "waiting"),    # 10:30: waiting 30 minutes so far
            Row(paris(10, 45), None, "cancelled")]  # left before any call: an arrival, no wait
    slots = rules.wait_through_day(rows, now=NOW, tz="Europe/Paris")
    assert [s.start for s in slots] == ["09:00", "09:30", "10:00", "10:30", "11:00"]  # every half hour up to now
    assert [s.arrivals for s in slots] == [2, 0, 0, 2, 0]
    assert [s.mean_wait for s in slots] == [20, None, None, 30, None]


def test_no_arrival_no_slot():
    assert rules.wait_through_day([], now=NOW, tz="Europe/Paris") == []


def picture(*, waiting=0, desk_states=(), late=(), offline=(), failed=0) -> rules.Picture:
    return rules.Picture(
        site_name="Chaumont", version=1, now=NOW, queues=[rules.QueueNow("N", "Espace", waiting=waiting)],
        longest_minutes=None,
        desks=[desks.DeskState(i, f"Bureau {i}", state, None, None, None, ()) for i, state in enumerate(desk_states)],
        today=stats.Figures(site="chaumont", start=NOW.date(), end=NOW.date(), queue=None),
        late=list(late), offline=list(offline),
        messages=notices.Health(pending=0, oldest_pending_seconds=None, failed_last_hour=failed, sms_today=0))


def test_people_waiting_and_no_desk_receiving_is_the_first_alert():
    alerts = rules.alerts_of(picture(waiting=3, desk_states=(desks.CLOSED, desks.PAUSED)))
    assert [a.kind for a in alerts] == ["unstaffed"] and alerts[0].params == {"n": 3}
    assert "Ouvrez un bureau" in alerts[0].todo
    assert rules.alerts_of(picture(waiting=3, desk_states=(desks.FREE,))) == []
    assert rules.alerts_of(picture(waiting=0, desk_states=(desks.CLOSED,))) == []


def test_late_visitors_are_one_alert_naming_the_longest_waits():
    one = rules.alerts_of(picture(waiting=1, desk_states=(desks.FREE,), late=[rules.LateTicket("N004", "N", 31)]))
    assert [(a.kind, a.params) for a in one] == [("late", {"ticket": "N004", "minutes": 31})]
    late = [rules.LateTicket(f"N{i:03d}", "N", 21 + i) for i in range(8)]
    (alert,) = rules.alerts_of(picture(waiting=8, desk_states=(desks.FREE,), late=late))
    assert alert.params["n"] == 8 and alert.more == 3
    assert alert.items == ("N007 (28 min)", "N006 (27 min)", "N005 (26 min)", "N004 (25 min)", "N003 (24 min)")
    assert "ouvrez un bureau de plus" in alert.todo


def test_a_silent_device_and_undelivered_messages_each_say_what_to_check():
    silent = rules.OfflineDevice(4, "kiosk", "Entrée", NOW - timedelta(minutes=3))
    alerts = rules.alerts_of(picture(desk_states=(desks.FREE,), offline=[silent], failed=2))
    assert [a.kind for a in alerts] == ["offline", "messages"]
    assert alerts[0].params["label"] == "Entrée" and "allumé" in alerts[0].todo
    assert alerts[1].params == {"n": 2} and "compte SMS" in alerts[1].todo


def test_a_devices_health_follows_its_last_sign_of_life():
    def device(**kw):
        return Device(site_id=1, kind=kw.pop("kind", "kiosk"), label="x", **kw)

    enrolled = NOW - timedelta(days=1)
    assert rules.device_health(device(), now=NOW) == rules.NOT_ENROLLED
    assert rules.device_health(device(enrolled_at=enrolled), now=NOW) == rules.NEVER
    assert rules.device_health(device(enrolled_at=enrolled, last_seen_at=NOW - timedelta(seconds=30)), now=NOW) \
        == rules.ONLINE
    assert rules.device_health(device(enrolled_at=enrolled, last_seen_at=NOW - timedelta(minutes=2)), now=NOW) \
        == rules.OFFLINE
    assert rules.device_health(device(enrolled_at=enrolled, revoked_at=NOW), now=NOW) == rules.REVOKED
