"""Identity data: check, mask and protect social-security and phone numbers.

Error messages name the problem (a count, the key) and never repeat what was typed.
Stored values are encrypted with AES-GCM; a keyed HMAC of the NIR serves for matching.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import time

import phonenumbers
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from phonenumbers import NumberParseException, PhoneNumberFormat
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fr import nir as stdnum_nir

from accueil.errors import InvalidNir, InvalidPhone
from accueil.i18n import N_

# --- NIR (numéro de sécurité sociale) -------------------------------------------------

# Unicode whitespace (incl. non-breaking and narrow spaces), dots, hyphens and dashes.
_NIR_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]")
_NIR_LENGTH = 15
_NIR_BODY_LENGTH = 13
_CORSICA = ("2A", "2B")
_MASK = "•"


def normalize_nir(raw: str) -> str:
    """Drop spaces, dots and dashes; uppercase."""
    return _NIR_SEPARATORS.sub("", raw).upper()


def validate_nir(raw: str) -> str:
    """Return the compact 15-character NIR, or raise InvalidNir naming the problem.

    Every first digit is accepted, including 3/4 and the provisional 7/8 (NIA).
    """
    nir = normalize_nir(raw)
    if not nir:
        raise InvalidNir(N_("Vous n'avez pas écrit de numéro de sécurité sociale."))
    try:
        return stdnum_nir.validate(nir)
    except InvalidChecksum:
        raise InvalidNir(N_("Le numéro est faux. Vérifiez les deux derniers chiffres.")) from None
    except ValidationError:
        # stdnum calls a short all-digit number malformed: tell the cases apart here.
        raise _nir_shape_error(nir) from None


def _nir_shape_error(nir: str) -> InvalidNir:
    """Build the error for a NIR with wrong characters or a wrong length."""
    digits = nir[:5] + nir[7:] if nir[5:7] in _CORSICA else nir
    if not (digits.isascii() and digits.isdigit()):
        return InvalidNir(N_(
            "Le numéro de sécurité sociale contient seulement des chiffres. "
            "Pour la Corse, il peut contenir 2A ou 2B."
        ))
    if len(nir) == _NIR_BODY_LENGTH:
        return InvalidNir(N_(
            "Il manque les deux derniers chiffres. Ils sont sur votre carte Vitale."
        ))
    if len(nir) != _NIR_LENGTH:
        return InvalidNir(N_("Le numéro a 15 chiffres, vous en avez tapé %(count)s."), count=len(nir))
    return InvalidNir()


def _compact_nir(nir: str) -> str:
    """Return the normalised NIR; raise ValueError (without the number) if not 15 characters."""
    compact = normalize_nir(nir)
    if len(compact) != _NIR_LENGTH:
        raise ValueError("expected a 15-character NIR")
    return compact


def format_nir(nir: str) -> str:
    """Spell the whole NIR in groups, for a deliberate reveal: '2 84 05 88 321 025 32'."""
    return stdnum_nir.format(_compact_nir(nir))


def mask_nir(nir: str) -> str:
    """Show sex, year, month and key only: '2 84 05 •• ••• ••• 32'."""
    groups = format_nir(nir).split(" ")
    return " ".join(groups[:3] + [_MASK * len(g) for g in groups[3:-1]] + groups[-1:])


# --- Phone numbers ----------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212()/]")
_PHONE_CHARACTERS = re.compile(r"\+?[0-9]+")
_NATIONAL_DIGITS = 10
_REGION = "FR"
# Overseas numbers dialled nationally look French but are invalid under FR (0692… is RE).
_OVERSEAS_REGIONS = ("RE", "YT", "GP", "MQ", "GF", "PM")
# Country codes of the French numbering plan: dialled as 0… from anywhere in France.
_FRENCH_PLAN_CODES = frozenset({33, 262, 590, 594, 596})


def normalize_phone(raw: str) -> str:
    """Return the number in E.164 ('+33612345678'), or raise InvalidPhone naming the problem."""
    compact = _PHONE_SEPARATORS.sub("", raw)
    if not compact:
        raise InvalidPhone(N_("Vous n'avez pas écrit de numéro de téléphone."))
    if not _PHONE_CHARACTERS.fullmatch(compact):
        raise InvalidPhone(N_(
            "Le numéro de téléphone contient seulement des chiffres. Il peut commencer par +."
        ))
    national = compact.startswith("0") and not compact.startswith("00")
    regions = (_REGION, *_OVERSEAS_REGIONS) if national else (_REGION,)
    for region in regions:
        try:
            number = phonenumbers.parse(compact, region)
        except NumberParseException:
            break
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if national and len(compact) != _NATIONAL_DIGITS:
        raise InvalidPhone(
            N_("Le numéro de téléphone a 10 chiffres, vous en avez tapé %(count)s."),
            count=len(compact),
        )
    raise InvalidPhone(N_("Ce numéro de téléphone n'existe pas. Vérifiez-le."))


def format_phone(e164: str) -> str:
    """Spell a number: national in the French plan ('06 12 34 56 78'), else international."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        raise ValueError("expected an E.164 phone number") from None
    if number.country_code in _FRENCH_PLAN_CODES:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def mask_phone(e164: str) -> str:
    """Keep the first group (prefix or country code) and the last 2 digits: '06 •• •• •• 78'."""
    head, space, tail = format_phone(e164).partition(" ")
    if not space:
        head, tail = "", head
    digits_left = sum(c.isdigit() for c in tail)
    masked = []
    for c in tail:
        if c.isdigit():
            digits_left -= 1
            c = c if digits_left < 2 else _MASK
        masked.append(c)
    return head + space + "".join(masked)


# --- Keys, encryption at rest, keyed hashing -----------------------------------------

KEY_ENV = "ACCUEIL_DATA_KEY"
KEY_FILE = "data.key"
_KEY_BYTES = 32
_SECRET_WAIT = 2.0  # seconds to wait for a secret file another process is writing
_FORMAT_V1 = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16


def load_data_key(instance_path: str, environ=os.environ) -> bytes:
    """Return the 32-byte master key: from ACCUEIL_DATA_KEY, else <instance_path>/data.key.

    An empty variable counts as unset. The file is created on first use.
    """
    value = environ.get(KEY_ENV, "").strip()
    if value:
        return _decode_key(value, KEY_ENV)
    path = os.path.join(instance_path, KEY_FILE)
    return _decode_key(read_or_create_secret(path), path)


def read_or_create_secret(path: str | os.PathLike) -> str:
    """Return the secret stored in *path*, creating it on first use.

    A new secret is the urlsafe base64 of 32 random bytes, in a file of mode 0600 created
    atomically: a process that loses the race reads the winner's file.
    """
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    secret = base64.urlsafe_b64encode(os.urandom(_KEY_BYTES)).decode("ascii")
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(secret + "\n")
        file.flush()
        os.fsync(file.fileno())
    return secret


def _read_secret(path: str) -> str:
    """Read a secret file, waiting briefly while a racing process is still writing it."""
    deadline = time.monotonic() + _SECRET_WAIT
    while True:
        with open(path, "rb") as file:
            secret = file.read().decode("ascii", "replace").strip()
        if secret:
            return secret
        if time.monotonic() > deadline:
            raise ValueError(f"{path} is empty: delete it to create a new secret")
        time.sleep(0.01)


def _decode_key(text: str, source: str) -> bytes:
    """Decode urlsafe base64 (padding optional) to a 32-byte key; raise ValueError if malformed."""
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != _KEY_BYTES:
        raise ValueError(
            f"{source} must hold a {_KEY_BYTES}-byte key in urlsafe base64, e.g. the output of "
            "python -c \"import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())\""
        )
    return key


def _derive(master_key: bytes, info: bytes) -> bytes:
    """Derive an independent 32-byte subkey with HKDF-SHA256."""
    return HKDF(algorithm=SHA256(), length=_KEY_BYTES, salt=None, info=info).derive(master_key)


class Vault:
    """Encrypt identity data and hash NIRs with subkeys of one master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != _KEY_BYTES:
            raise ValueError(f"the master key must be {_KEY_BYTES} bytes")
        self._aead = AESGCM(_derive(master_key, b"accueil encryption v1"))
        self._hash_key = _derive(master_key, b"accueil nir-hash v1")

    def __repr__(self) -> str:
        return "Vault(<keys hidden>)"

    def encrypt(self, text: str) -> bytes:
        """Encrypt *text*: version byte + random nonce + AES-GCM ciphertext."""
        nonce = os.urandom(_NONCE_BYTES)
        return _FORMAT_V1 + nonce + self._aead.encrypt(nonce, text.encode("utf-8"), _FORMAT_V1)

    def decrypt(self, blob: bytes) -> str:
        """Decrypt a blob from encrypt(); raise ValueError on a wrong key or tampered data."""
        blob = bytes(blob)
        if len(blob) < 1 + _NONCE_BYTES + _TAG_BYTES or blob[:1] != _FORMAT_V1:
            raise ValueError("not an encrypted value of a known format")
        nonce, ciphertext = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, ciphertext, _FORMAT_V1).decode("utf-8")
        except InvalidTag:
            raise ValueError("cannot decrypt: wrong key or tampered data") from None

    def encrypt_optional(self, text: str | None) -> bytes | None:
        """Encrypt *text*, passing None through."""
        return None if text is None else self.encrypt(text)

    def decrypt_optional(self, blob: bytes | None) -> str | None:
        """Decrypt *blob*, passing None through."""
        return None if blob is None else self.decrypt(blob)

    def hash_nir(self, nir: str) -> str:
        """Return the hex HMAC-SHA256 of the normalised NIR, a stable key for matching."""
        message = normalize_nir(nir).encode("utf-8")
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()
