"""SMS over SMPP 3.4: the text cut into parts the phone rejoins, and a link to the operator's SMSC.

smpplib speaks the protocol (bind, submit_sm and its answer); the parts are made here, because
its own splitter may cut a GSM-7 escape pair or a UTF-16 surrogate pair in two (FIXMEs in
smpplib.gsm), which a phone then shows as garbage.
"""
from __future__ import annotations

import logging
import random
import socket
import threading
import time
from dataclasses import dataclass

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp

log = logging.getLogger(__name__)

# GSM 03.38: the basic table (one septet) and its extension (escape, then one septet).
_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x00ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
          "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_ESCAPE = 0x1B
_EXTENSION = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D, "]": 0x3E,
              "|": 0x40, "€": 0x65}
_SEPTETS = {ch: bytes([i]) for i, ch in enumerate(_BASIC) if i != _ESCAPE} | {
    ch: bytes([_ESCAPE, code]) for ch, code in _EXTENSION.items()}

GSM7 = 0x00  # data_coding: the SMSC's default alphabet (GSM 03.38), one septet per octet
UCS2 = 0x08
UDHI = 0x40  # esm_class: the message starts with a user data header (a part of a long message)

_SINGLE = {GSM7: 160, UCS2: 70}
"""Septets (GSM-7) or UTF-16 units (UCS-2) in a message of one part."""
_PART = {GSM7: 153, UCS2: 67}
"""The same in each part of a long message (the 6-octet header takes the rest)."""
MAX_PARTS = 10


@dataclass(frozen=True)
class Encoded:
    data_coding: int
    esm_class: int
    parts: tuple[bytes, ...]
    """Each part's short_message: the header (long messages only) then the text."""


def _units(text: str) -> tuple[int, list[bytes]]:
    """The text as GSM-7 characters (one or two septets each) when it can be, else UTF-16 units."""
    try:
        return GSM7, [_SEPTETS[ch] for ch in text]
    except KeyError:
        units: list[bytes] = []
        for ch in text:
            units.append(ch.encode("utf-16-be"))  # a character beyond the BMP is one pair: never cut
        return UCS2, units


def _size(coding: int, unit: bytes) -> int:
    return len(unit) if coding == GSM7 else len(unit) // 2


def encode(text: str, reference: int | None = None) -> Encoded:
    """Encode *text* for submit_sm: GSM-7 if every character has a septet, UCS-2 otherwise; parts if long."""
    coding, units = _units(text)
    total = sum(_size(coding, u) for u in units)
    if total <= _SINGLE[coding]:
        return Encoded(coding, 0, (b"".join(units),))
    chunks: list[list[bytes]] = [[]]
    used = 0
    for unit in units:
        size = _size(coding, unit)
        if used + size > _PART[coding]:
            chunks.append([])
            used = 0
        chunks[-1].append(unit)
        used += size
    if len(chunks) > MAX_PARTS:
        raise ValueError("message too long")
    ref = random.randrange(256) if reference is None else reference & 0xFF
    parts = tuple(bytes([0x05, 0x00, 0x03, ref, len(chunks), i + 1]) + b"".join(chunk)
                  for i, chunk in enumerate(chunks))
    return Encoded(coding, UDHI, parts)


# --- the link ----------------------------------------------------------------------------------

# Answers of the SMSC that mean « not now »: the message is tried again later.
TEMPORARY = {
    smpplib.consts.SMPP_ESME_RTHROTTLED,
    smpplib.consts.SMPP_ESME_RMSGQFUL,
    smpplib.consts.SMPP_ESME_RSYSERR,
    smpplib.consts.SMPP_ESME_RSUBMITFAIL,
    0x00000064,  # ESME_RX_T_APPN: temporary application error
}


class Refused(Exception):
    """The SMSC refused the message for good (a number it does not serve): never try it again."""


class NotNow(Exception):
    """The SMSC cannot take the message now (down, slow, throttled): try again later."""


@dataclass(frozen=True)
class SmppSettings:
    host: str
    port: int
    system_id: str
    password: str
    sender: str = "CAF"
    """The sender id the phone shows (« CAF52 »): alphanumeric, at most 11 characters."""
    rate: float = 10.0
    """Most submit_sm a second the operator allows."""
    timeout: float = 10.0

    @classmethod
    def from_environ(cls, env) -> "SmppSettings":
        return cls(host=env.get("SMPP_HOST", "127.0.0.1"), port=int(env.get("SMPP_PORT") or 2775),
                   system_id=env.get("SMPP_SYSTEM_ID", ""), password=env.get("SMPP_PASSWORD", ""),
                   sender=(env.get("SMPP_SENDER") or "CAF")[:11], rate=float(env.get("SMPP_RATE") or 10),
                   timeout=float(env.get("SMPP_TIMEOUT") or 10))


class SmppLink:
    """One bound transmitter session, opened when needed and again after the SMSC dropped it."""

    def __init__(self, settings: SmppSettings) -> None:
        self.settings = settings
        self._client: smpplib.client.Client | None = None
        self._lock = threading.Lock()
        self._next_slot = 0.0

    def _open(self) -> smpplib.client.Client:
        if self._client is not None:
            return self._client
        s = self.settings
        client = smpplib.client.Client(s.host, s.port, timeout=s.timeout, allow_unknown_opt_params=True)
        try:
            client.connect()
            client.bind_transmitter(system_id=s.system_id, password=s.password)
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as err:
            self._drop(client)
            raise NotNow(f"SMSC unreachable: {err}") from None
        self._client = client
        return client

    @staticmethod
    def _drop(client) -> None:
        try:
            client.disconnect()
        except Exception:
            pass

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                try:
                    self._client.unbind()
                except Exception:
                    pass
                self._drop(self._client)
                self._client = None

    def _pace(self) -> None:
        """Keep under the operator's throughput limit."""
        now = time.monotonic()
        wait = self._next_slot - now
        if wait > 0:
            time.sleep(wait)
        self._next_slot = max(now, self._next_slot) + 1.0 / max(self.settings.rate, 0.1)

    def send(self, number: str, text: str) -> str:
        """Submit *text* to *number* (E.164); return the SMSC's message id of the last part.

        Raises Refused (for good) or NotNow (try later).
        """
        encoded = encode(text)
        with self._lock:
            client = self._open()
            try:
                message_id = ""
                for part in encoded.parts:
                    self._pace()
                    message_id = self._submit(client, number, part, encoded)
                return message_id
            except (smpplib.exceptions.ConnectionError, OSError, socket.timeout) as err:
                self._drop(client)
                self._client = None
                raise NotNow(f"SMSC connection lost: {type(err).__name__}") from None

    def _submit(self, client, number: str, part: bytes, encoded: Encoded) -> str:
        s = self.settings
        alphanumeric = not s.sender.isdigit()
        pdu = client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM if alphanumeric else smpplib.consts.SMPP_TON_INTL,
            source_addr_npi=smpplib.consts.SMPP_NPI_UNK if alphanumeric else smpplib.consts.SMPP_NPI_ISDN,
            source_addr=s.sender,
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            destination_addr=number.lstrip("+"),
            short_message=part,
            data_coding=encoded.data_coding,
            esm_class=encoded.esm_class,
            registered_delivery=0,
        )
        while True:
            resp = client.read_pdu()
            if resp.command == "enquire_link":
                answer = smpplib.smpp.make_pdu("enquire_link_resp", client=client)
                answer.sequence = resp.sequence
                client.send_pdu(answer)
                continue
            if resp.command != "submit_sm_resp" or resp.sequence != pdu.sequence:
                continue
            status = int(resp.status or 0)
            if status == smpplib.consts.SMPP_ESME_ROK:
                return (resp.message_id or b"").decode("ascii", "replace") if isinstance(resp.message_id, bytes) \
                    else str(resp.message_id or "")
            reason = f"{smpplib.consts.DESCRIPTIONS.get(status, 'refused')} (0x{status:08X})"
            if status in TEMPORARY:
                raise NotNow(reason)
            raise Refused(reason)
