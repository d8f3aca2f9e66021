"""The desk's thermal printer: a slip sent as ESC/POS over the network (python-escpos), never in the way.

A printer that is off, unplugged or busy answers within TIMEOUT seconds with PrinterUnavailable, which
the console turns into a message: the ticket exists either way, and its number was said aloud.
"""
from __future__ import annotations

import logging

from accueil.slip import Slip

log = logging.getLogger(__name__)

TIMEOUT = 3.0
"""Seconds to reach the printer and hand it the slip (a network socket: the gevent worker waits cooperatively)."""


class PrinterUnavailable(Exception):
    """The printer could not be reached or refused the slip (its address, never the slip, goes to the log)."""


def _host_port(address: str) -> tuple[str, int]:
    """Split an address as accueil.configuration.read_printer writes it (« 192.168.1.50:9100 », « [fd00::5]:9100 »)."""
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def print_slip(address: str, slip: Slip, *, link: str, words: dict[str, str], timeout: float = TIMEOUT,
               documents_link: str | None = None) -> None:
    """Print *slip* on the printer at *address*: the office, the number large, the queue and time, the QR code.

    *link* is the ticket page's address the QR code opens; *documents_link*, the list of documents to provide, a
    second QR code; *words* the slip's phrases in the reader's language (« number », « queue », « arrived »,
    « scan », « documents »). Raise PrinterUnavailable when it cannot be printed.
    """
    from escpos.exceptions import Error as EscposError  # imported when printing: the library loads its profiles
    from escpos.printer import Network

    host, port = _host_port(address)
    printer = Network(host, port=port, timeout=timeout)
    try:
        printer.open()
        printer.set(align="center", bold=True, normal_textsize=True)
        printer.textln(slip.office)
        printer.set(align="center", bold=False, normal_textsize=True)
        printer.textln(words["number"])
        printer.set(align="center", bold=True, double_width=True, double_height=True)
        printer.textln(slip.code)
        printer.set(align="center", bold=False, normal_textsize=True)
        printer.textln(f"{words['queue']} {slip.queue}")
        printer.textln(f"{words['arrived']} {slip.time}")
        printer.ln()
        printer.qr(link, size=6, native=True)
        printer.textln(words["scan"])
        if documents_link:
            printer.ln()
            printer.qr(documents_link, size=6, native=True)
            printer.textln(words["documents"])
        printer.cut()
    except (OSError, EscposError) as err:
        log.warning("slip printer %s: %s", address, type(err).__name__)
        raise PrinterUnavailable(address) from err
    finally:
        printer.close()
