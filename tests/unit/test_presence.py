"""The kiosk's presence codes: rotate, expire, belong to one site, cannot be forged."""
from datetime import timedelta

import pytest

from accueil import presence
from accueil.presence import ExpiredCode, NotPresent, PresenceCodes, read_short_code
from tests.conftest import NOW

CODES = PresenceCodes("s" * 32)


def test_a_fresh_code_is_accepted_for_its_site():
    code = CODES.issue(1, now=NOW)
    shown = CODES.verify(code, 1, now=NOW + timedelta(seconds=5))
    assert shown <= NOW < shown + presence.ROTATION


def test_the_code_rotates_and_stays_the_same_within_a_rotation():
    start = presence.next_rotation(NOW)
    assert CODES.issue(1, now=start) == CODES.issue(1, now=start + timedelta(seconds=29))
    assert CODES.issue(1, now=start) != CODES.issue(1, now=start + presence.ROTATION)
    assert presence.next_rotation(start) == start + presence.ROTATION


def test_a_code_expires_a_few_minutes_after_it_appeared():
    start = presence.next_rotation(NOW)
    code = CODES.issue(1, now=start)
    CODES.verify(code, 1, now=start + presence.VALIDITY)
    with pytest.raises(ExpiredCode):
        CODES.verify(code, 1, now=start + presence.VALIDITY + timedelta(seconds=1))
    with pytest.raises(ExpiredCode):  # yesterday's photo
        CODES.verify(code, 1, now=start + timedelta(days=1))


def test_a_code_from_the_future_beyond_the_clock_skew_is_refused():
    code = CODES.issue(1, now=NOW + timedelta(minutes=5))
    with pytest.raises(ExpiredCode):
        CODES.verify(code, 1, now=NOW)


def test_another_sites_code_is_refused():
    with pytest.raises(ExpiredCode):
        CODES.verify(CODES.issue(2, now=NOW), 1, now=NOW)


@pytest.mark.parametrize("forged", [
    None, "", "abc", "123", "123.", ".abc", "-5.abc", "1e9.abc", "99999999999999.abc",
    "<script>alert(1)</script>", "١٢٣.abc",
])
def test_forged_or_damaged_codes_are_refused(forged):
    with pytest.raises(ExpiredCode):
        CODES.verify(forged, 1, now=NOW)


def test_a_tampered_signature_or_slot_is_refused():
    slot, _, signature = CODES.issue(1, now=NOW).partition(".")
    with pytest.raises(ExpiredCode):
        CODES.verify(f"{slot}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}", 1, now=NOW)
    with pytest.raises(ExpiredCode):
        CODES.verify(f"{int(slot) - 1}.{signature}", 1, now=NOW)


def test_another_secret_does_not_accept_the_code():
    with pytest.raises(ExpiredCode):
        PresenceCodes("t" * 32).verify(CODES.issue(1, now=NOW), 1, now=NOW)


def test_the_secret_is_required_and_never_shown():
    with pytest.raises(ValueError):
        PresenceCodes("short")
    assert "s" * 32 not in repr(CODES)


def test_the_error_says_to_scan_the_code_on_the_screen():
    assert ExpiredCode().message == "Ce code est trop ancien. Scannez le code affiché sur l'écran de l'accueil."


def test_the_presence_window_lasts_a_quarter_of_an_hour():
    until = presence.presence_until(NOW).timestamp()
    presence.check_presence(until, now=NOW + timedelta(minutes=14))
    with pytest.raises(NotPresent):
        presence.check_presence(until, now=NOW + timedelta(minutes=15, seconds=1))
    for bad in (None, "123", True, [1]):
        with pytest.raises(NotPresent):
            presence.check_presence(bad, now=NOW)


# --- the short code, typed by hand ---------------------------------------------------------

def test_the_short_code_is_four_digits_that_rotate_with_the_qr_code():
    start = presence.next_rotation(NOW)
    shown = [CODES.issue_short(1, now=start + presence.ROTATION * i) for i in range(20)]
    assert all(len(c) == 4 and c.isascii() and c.isdigit() for c in shown)
    assert len(set(shown)) > 15  # a new code (almost always) every rotation
    assert CODES.issue_short(1, now=start) == CODES.issue_short(1, now=start + timedelta(seconds=29))


def test_a_short_code_names_its_site_and_lasts_a_minute():
    codes, sites, start = CODES, [1, 2], presence.next_rotation(NOW)
    shown = codes.issue_short(2, now=start)
    assert codes.verify_short(shown, sites, now=start) == 2
    assert codes.verify_short(shown, sites, now=start + presence.SHORT_VALIDITY) == 2
    with pytest.raises(ExpiredCode):
        codes.verify_short(shown, sites, now=start + presence.SHORT_VALIDITY + timedelta(seconds=1))
    with pytest.raises(ExpiredCode):
        codes.verify_short(shown, [1], now=start)  # another site's digits
    with pytest.raises(ExpiredCode):
        PresenceCodes("t" * 32).verify_short(shown, sites, now=start)
    with pytest.raises(ExpiredCode):
        codes.verify_short(None, sites, now=start)


def test_a_typed_code_is_read_once_whatever_the_keyboard():
    assert read_short_code(" 04 27 ") == "0427"
    assert read_short_code("٠٤٢٧") == "0427"  # Arabic-Indic digits from an Arabic phone
    for bad in ("042", "04271", "04a7", "", None, 427, "0\x0027", "0" * 5000, "²³¹⁴"):
        assert read_short_code(bad) is None
