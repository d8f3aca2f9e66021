"""Identity data: NIR and phone checks, masks, key loading, encryption and hashing.

Expected values were computed with python-stdnum 2.2 and phonenumbers 9.0.43,
not copied from examples (a published NIR example has a wrong key).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import stat
import threading

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from stdnum.fr import nir as stdnum_nir

from accueil import identity
from accueil.errors import InvalidNir, InvalidPhone
from accueil.identity import (
    Vault,
    format_nir,
    format_phone,
    load_data_key,
    mask_nir,
    mask_phone,
    normalize_nir,
    normalize_phone,
    read_or_create_secret,
    validate_nir,
)

NIR_CHARACTERS = (
    "Le numéro de sécurité sociale contient seulement des chiffres. "
    "Pour la Corse, il peut contenir 2A ou 2B."
)
NIR_MISSING_KEY = "Il manque les deux derniers chiffres. Ils sont sur votre carte Vitale."
NIR_WRONG_KEY = "Le numéro est faux. Vérifiez les deux derniers chiffres."
NIR_EMPTY = "Vous n'avez pas écrit de numéro de sécurité sociale."
PHONE_CHARACTERS = "Le numéro de téléphone contient seulement des chiffres. Il peut commencer par +."
PHONE_UNKNOWN = "Ce numéro de téléphone n'existe pas. Vérifiez-le."
PHONE_EMPTY = "Vous n'avez pas écrit de numéro de téléphone."


def nir_with_key(body: str) -> str:
    """Complete a 13-character body with the key stdnum computes."""
    return body + stdnum_nir.calc_check_digits(body)


def assert_no_number_in(error: Exception, raw: str) -> None:
    """The message and parameters hold no run of 3 digits, and not the typed number."""
    shown = f"{error} {error.message} {error.params}"
    compact = re.sub(r"\W", "", raw)
    assert re.search(r"\d{3}", shown) is None, shown
    if compact:
        assert compact not in re.sub(r"\W", "", shown)


# --- NIR -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2 95 10 99 126 111 93", "295109912611193"),  # V1, born abroad
        ("253072B07300470", "253072B07300470"),  # V2, Haute-Corse
        ("253072A07300443", "253072A07300443"),  # V3, Corse-du-Sud
        ("255081416802538", "255081416802538"),  # V4
        ("2 84 05 88 321 025 32", "284058832102532"),  # V5, spaced
        ("2 84 05 2A 321 025 52", "284052A32102552"),
        ("2 84 05 2a 321 025 52", "284052A32102552"),  # lowercase Corsica
        ("2 84 05 2B 321 025 79", "284052B32102579"),
        ("8 84 05 88 321 025 23", "884058832102523"),  # NIA / provisional, woman
        ("2.84.05.88.321.025.32", "284058832102532"),
        ("2-84-05-88-321-025-32", "284058832102532"),
        ("\u00a02\u00a084\u202f05 88\u200932102532 ", "284058832102532"),  # nbsp, narrow, thin
    ],
)
def test_valid_nirs_are_returned_compact(raw, expected):
    assert validate_nir(raw) == expected


@pytest.mark.parametrize("body", ["7951099126111", "1840588321025", "3840588321025", "4840588321025"])
def test_every_first_digit_is_accepted_with_a_computed_key(body):
    nir = nir_with_key(body)
    assert validate_nir(nir) == nir


def test_nia_starting_with_7_is_accepted():
    nir = nir_with_key("7951099126111")
    assert nir == "795109912611137"
    assert validate_nir(" ".join([nir[:1], nir[1:3], nir[3:5], nir[5:]])) == nir


@pytest.mark.parametrize(
    ("raw", "message", "params"),
    [
        ("295109912611199", NIR_WRONG_KEY, {}),  # I1
        ("253072C07300443", NIR_CHARACTERS, {}),  # I2, 2C is no department
        ("6546546546546703", "Le numéro a 15 chiffres, vous en avez tapé 16.", {"count": 16}),  # I3
        ("2 55 08 14 168 025 00", NIR_WRONG_KEY, {}),  # I4
        ("2 84 05 88 321 30", "Le numéro a 15 chiffres, vous en avez tapé 12.", {"count": 12}),  # I5
        ("2 84 05 88 321 025 30", NIR_WRONG_KEY, {}),  # the README example with a wrong key
        ("2840588321025", NIR_MISSING_KEY, {}),  # 13 characters: the key is missing
        ("2 84 05 2A 321 025", NIR_MISSING_KEY, {}),
        ("28405883210253", "Le numéro a 15 chiffres, vous en avez tapé 14.", {"count": 14}),
        ("2840588321025321", "Le numéro a 15 chiffres, vous en avez tapé 16.", {"count": 16}),
        ("12345", "Le numéro a 15 chiffres, vous en avez tapé 5.", {"count": 5}),
        ("2 84 O5 88 321 025 32", NIR_CHARACTERS, {}),  # letter O for zero
        ("2A4058832102532", NIR_CHARACTERS, {}),  # 2A outside positions 6-7
        ("abc", NIR_CHARACTERS, {}),
        ("٢٨٤٠٥٨٨٣٢١٠٢٥٣٢", NIR_CHARACTERS, {}),  # non-ASCII digits
        ("", NIR_EMPTY, {}),
        ("  . - ", NIR_EMPTY, {}),
    ],
)
def test_invalid_nirs_name_the_problem(raw, message, params):
    with pytest.raises(InvalidNir) as caught:
        validate_nir(raw)
    error = caught.value
    assert error.message == message
    assert error.params == params
    assert error.code == "invalid_nir"
    assert error.field == "nir"
    assert "NIR" not in error.message
    assert_no_number_in(error, raw)


def test_normalize_nir_drops_separators_and_uppercases():
    assert normalize_nir(" 2.84-05\u00a02a\u202f321 025 52 ") == "284052A32102552"


def test_mask_nir_shows_sex_year_month_and_key_only():
    assert mask_nir("284058832102532") == "2 84 05 •• ••• ••• 32"
    assert mask_nir("2 53 07 2B 073 004 70") == "2 53 07 •• ••• ••• 70"


def test_format_nir_spells_the_whole_number():
    assert format_nir("284052a32102552") == "2 84 05 2A 321 025 52"


@pytest.mark.parametrize("function", [mask_nir, format_nir])
def test_nir_display_rejects_a_wrong_length_without_echoing_it(function):
    with pytest.raises(ValueError) as caught:
        function("2840588321025")
    assert "2840588321025" not in str(caught.value)


# --- Phones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("06\u00a012\u202f34 56 78", "+33612345678"),
        ("07 51 23 45 67", "+33751234567"),  # 075x is a mobile range
        ("03 25 03 12 34", "+33325031234"),  # landline, Chaumont area
        ("09 51 23 45 67", "+33951234567"),
        ("0692 12 34 56", "+262692123456"),  # Réunion mobile
        ("0696 12 34 56", "+596696123456"),  # Martinique mobile
        ("0262 21 00 00", "+262262210000"),  # Réunion landline
        ("+32 470 12 34 56", "+32470123456"),
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_valid_phones_are_returned_in_e164(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message", "params"),
    [
        ("07 12 34 56 78", PHONE_UNKNOWN, {}),  # 070-072 are not allocated
        ("abc", PHONE_CHARACTERS, {}),
        ("06 12 34 56 7a", PHONE_CHARACTERS, {}),
        ("06+12345678", PHONE_CHARACTERS, {}),
        ("06 12 34 56 7", "Le numéro de téléphone a 10 chiffres, vous en avez tapé 9.", {"count": 9}),
        ("0612 34 56 789", "Le numéro de téléphone a 10 chiffres, vous en avez tapé 11.", {"count": 11}),
        ("+33 6 12 34 56 7", PHONE_UNKNOWN, {}),
        ("+999 123", PHONE_UNKNOWN, {}),
        ("", PHONE_EMPTY, {}),
        ("   ", PHONE_EMPTY, {}),
    ],
)
def test_invalid_phones_name_the_problem(raw, message, params):
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    error = caught.value
    assert error.message == message
    assert error.params == params
    assert error.code == "invalid_phone"
    assert error.field == "phone"
    assert_no_number_in(error, raw)


@pytest.mark.parametrize(
    ("e164", "masked", "formatted"),
    [
        ("+33612345678", "06 •• •• •• 78", "06 12 34 56 78"),
        ("+33325031234", "03 •• •• •• 34", "03 25 03 12 34"),
        ("+262692123456", "0692 •• •• 56", "0692 12 34 56"),
        ("+32470123456", "+32 ••• •• •• 56", "+32 470 12 34 56"),
        ("+447911123456", "+44 •••• ••••56", "+44 7911 123456"),
    ],
)
def test_phone_mask_and_format(e164, masked, formatted):
    assert mask_phone(e164) == masked
    assert format_phone(e164) == formatted


def test_phone_display_rejects_a_non_e164_value():
    with pytest.raises(ValueError):
        mask_phone("not a number")


# --- Data key --------------------------------------------------------------------------


def encode(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def test_key_file_is_created_with_mode_0600_and_reused(tmp_path):
    instance = tmp_path / "instance"
    key = load_data_key(str(instance), environ={})
    path = instance / "data.key"
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert base64.urlsafe_b64decode(path.read_text().strip()) == key
    assert load_data_key(str(instance), environ={}) == key


def test_key_from_environment_is_used_and_no_file_is_written(tmp_path):
    key = os.urandom(32)
    assert load_data_key(str(tmp_path), environ={"ACCUEIL_DATA_KEY": encode(key)}) == key
    assert load_data_key(str(tmp_path), environ={"ACCUEIL_DATA_KEY": encode(key).rstrip("=")}) == key
    assert not (tmp_path / "data.key").exists()


def test_empty_environment_variable_falls_back_to_the_file(tmp_path):
    key = load_data_key(str(tmp_path), environ={"ACCUEIL_DATA_KEY": ""})
    assert (tmp_path / "data.key").exists()
    assert load_data_key(str(tmp_path), environ={}) == key


@pytest.mark.parametrize("value", ["not base64 at all!", encode(bytes(range(16))), encode(bytes(range(40, 73)))],
                         ids=["not base64", "16 bytes", "33 bytes"])
def test_malformed_environment_key_is_rejected_without_echoing_it(tmp_path, value):
    with pytest.raises(ValueError, match="ACCUEIL_DATA_KEY") as caught:
        load_data_key(str(tmp_path), environ={"ACCUEIL_DATA_KEY": value})
    assert value not in str(caught.value)


def test_malformed_key_file_is_rejected(tmp_path):
    (tmp_path / "data.key").write_text("short\n")
    with pytest.raises(ValueError, match="data.key"):
        load_data_key(str(tmp_path), environ={})


def test_key_file_written_by_hand_without_padding_or_newline_is_read(tmp_path):
    key = os.urandom(32)
    (tmp_path / "data.key").write_text(encode(key).rstrip("="))
    assert load_data_key(str(tmp_path), environ={}) == key


def test_empty_key_file_is_rejected_after_a_short_wait(tmp_path, monkeypatch):
    monkeypatch.setattr(identity, "_SECRET_WAIT", 0.0)
    (tmp_path / "data.key").write_text("")
    with pytest.raises(ValueError, match="empty"):
        load_data_key(str(tmp_path), environ={})


def test_read_or_create_secret_creates_a_private_file_once(tmp_path):
    path = tmp_path / "nested" / "secret.key"
    secret = read_or_create_secret(path)
    assert len(base64.urlsafe_b64decode(secret)) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create_secret(str(path)) == secret


def test_concurrent_key_creation_yields_one_key(tmp_path):
    instance = str(tmp_path / "fresh")
    barrier = threading.Barrier(8)
    keys: list[bytes] = []
    errors: list[BaseException] = []

    def load() -> None:
        barrier.wait()
        try:
            keys.append(load_data_key(instance, environ={}))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(keys) == 8 and len(set(keys)) == 1
    assert load_data_key(instance, environ={}) == keys[0]


# --- Vault -----------------------------------------------------------------------------


@pytest.fixture
def master_key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def vault(master_key) -> Vault:
    return Vault(master_key)


def derive(master_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(master_key)


@pytest.mark.parametrize("text", ["295109912611193", "+33612345678", "", "Zoé Ñandú 😀"])
def test_encrypt_decrypt_round_trip(vault, text):
    blob = vault.encrypt(text)
    assert blob[:1] == b"\x01"
    assert len(blob) == 1 + 12 + len(text.encode()) + 16
    assert text.encode() not in blob or text == ""
    assert vault.decrypt(blob) == text


def test_two_encryptions_differ(vault):
    assert vault.encrypt("295109912611193") != vault.encrypt("295109912611193")


def test_blob_format_is_version_nonce_and_aes_gcm_with_the_derived_key(master_key, vault):
    blob = vault.encrypt("+33612345678")
    aead = AESGCM(derive(master_key, b"accueil encryption v1"))
    assert aead.decrypt(blob[1:13], blob[13:], b"\x01") == b"+33612345678"


@pytest.mark.parametrize("position", [0, 1, 12, 13, -1])
def test_tampered_blob_is_rejected(vault, position):
    blob = bytearray(vault.encrypt("295109912611193"))
    blob[position] ^= 0x01
    with pytest.raises(ValueError):
        vault.decrypt(bytes(blob))


def test_truncated_blob_is_rejected(vault):
    with pytest.raises(ValueError):
        vault.decrypt(vault.encrypt("x")[:20])


def test_wrong_key_is_rejected(vault):
    blob = vault.encrypt("295109912611193")
    with pytest.raises(ValueError, match="wrong key or tampered"):
        Vault(os.urandom(32)).decrypt(blob)


def test_optional_helpers_pass_none_through(vault):
    assert vault.encrypt_optional(None) is None
    assert vault.decrypt_optional(None) is None
    assert vault.decrypt_optional(vault.encrypt_optional("06")) == "06"


def test_hash_nir_is_keyed_deterministic_and_normalised(master_key, vault):
    digest = vault.hash_nir("295109912611193")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert vault.hash_nir("2 95 10 99 126 111 93") == digest
    assert Vault(master_key).hash_nir("295109912611193") == digest
    assert vault.hash_nir("2 84 05 2a 321 025 52") == vault.hash_nir("284052A32102552")
    assert vault.hash_nir("284058832102532") != digest
    assert Vault(os.urandom(32)).hash_nir("295109912611193") != digest
    expected = hmac.new(derive(master_key, b"accueil nir-hash v1"), b"295109912611193", hashlib.sha256)
    assert digest == expected.hexdigest()


def test_vault_repr_hides_keys(master_key, vault):
    shown = repr(vault)
    assert master_key.hex() not in shown
    assert encode(master_key) not in shown
    assert "hidden" in shown


def test_vault_rejects_a_short_master_key():
    with pytest.raises(ValueError):
        Vault(os.urandom(16))
