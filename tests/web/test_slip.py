"""The printed ticket of an assisted registration: its ESC/POS bytes, the desk's printer setting, printing never in the way."""
from __future__ import annotations

import re
import socket
import threading

import pytest
from sqlmodel import select

from accueil.configuration import read_printer
from accueil.errors import InvalidInput
from accueil.models import Desk, DeskQueue, Ticket
from accueil.slip import Slip
from tests.web.test_console import Console, db, site_id
from web.printer import PrinterUnavailable, print_slip

SLIP = Slip(office="Caf de la Haute-Marne — Chaumont", code="R007", letter="R", number=7, queue="Rendez-vous",
            time="10:42", day="2026-12-02", public_id="x" * 32)
WORDS = {"number": "Votre numéro", "queue": "File :", "arrived": "Arrivée à", "scan": "Scannez ce code."}


class Printer:
    """A network thermal printer as far as the app can tell: a TCP socket on port 9100's role, keeping what it gets."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.received = bytearray()
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            while chunk := conn.recv(65536):
                self.received += chunk
        self.done.set()

    def slip(self) -> bytes:
        assert self.done.wait(10), "the printer received no complete slip"
        return bytes(self.received)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def printer():
    p = Printer()
    yield p
    p.close()


def off_address() -> str:
    """An address where no printer answers (a port just freed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def test_the_printer_receives_the_office_the_number_and_a_native_qr_code_of_the_link(printer):
    link = "https://accueil.example.fr/ticket/" + SLIP.public_id
    print_slip(printer.address, SLIP, link=link, words=WORDS)
    data = printer.slip()
    assert b"Caf de la Haute-Marne" in data and b"R007" in data and b"Rendez-vous" in data and b"10:42" in data
    # Accents in the printer's code page, chosen by the library (ESC t n) where the text needs one.
    code_page = re.findall(rb"\x1bt(.)", data[:data.index(b"Arriv")], re.S)[-1][0]
    assert code_page == 16 and "Arrivée à 10:42".encode("cp1252") in data  # 16: Windows-1252
    store = re.search(rb"\x1d\(k(..)\x31\x50\x30", data, re.S)  # GS ( k: store the QR code's data
    assert store, "no native QR command"
    length = store.group(1)[0] + 256 * store.group(1)[1] - 3
    assert data[store.end():store.end() + length] == link.encode()
    assert b"\x1d(k\x03\x001Q0" in data  # GS ( k: print the stored symbol
    assert b"\x1dV" in data  # GS V: cut the paper
    for secret in (b"NIR", b"06 "):
        assert secret not in data


def test_a_printer_that_is_off_is_said_quickly():
    with pytest.raises(PrinterUnavailable):
        print_slip(off_address(), SLIP, link="https://x.example/ticket/1", words=WORDS, timeout=1)


@pytest.mark.parametrize("typed,stored", [
    ("192.168.1.50", "192.168.1.50:9100"), (" 10.0.0.7:9101 ", "10.0.0.7:9101"), ("172.16.3.4", "172.16.3.4:9100"),
    ("[fd00::5]:9100", "[fd00::5]:9100"), ("127.0.0.1:9200", "127.0.0.1:9200"), ("", None),
])
def test_a_desk_printer_is_an_address_of_the_office_network(typed, stored):
    assert read_printer(typed) == stored


@pytest.mark.parametrize("typed", ["8.8.8.8", "printer.example.com", "192.168.1.50:0", "192.168.1.50:70000",
                                   "0.0.0.0", "224.0.0.1", "<script>", "192.168.1.50\x00", "http://192.168.1.50",
                                   "fd00::5"])
def test_any_other_printer_address_is_refused(typed):
    with pytest.raises(InvalidInput) as caught:
        read_printer(typed)
    assert caught.value.field == "printer"


def desk_of(app, name="Bureau 1"):
    with db(app).session() as s:
        return s.exec(select(Desk).where(Desk.site_id == site_id(app, "chaumont"), Desk.name == name)).one()


def registered(app, address: str | None):
    """A supervisor sets Bureau 1's printer, an agent at that desk registers a visitor: their console, the ticket."""
    desk = desk_of(app)
    sup = Console(app, "superviseur.chaumont")
    with db(app).session() as s:
        served = [str(dq.queue_id) for dq in s.exec(select(DeskQueue).where(DeskQueue.desk_id == desk.id)).all()]
    r = sup.post(f"/agent/configuration/desks/{desk.id}", json=False, name=desk.name, queues=served,
                 printer=address or "")
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    agent = Console(app, "agent.chaumont")
    assert agent.post("/agent/desk", desk_id=desk.id).status_code == 200
    r = agent.post("/agent/register", json=False, appointment="no", no_nir="1", key="k" + str(id(agent)))
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    ticket_id = int(r.headers["Location"].rsplit("/", 1)[1])
    return agent, ticket_id


def test_an_agent_prints_the_slip_on_the_desks_printer(app, printer):
    agent, ticket_id = registered(app, printer.address)
    page = agent.get(f"/agent/register/{ticket_id}").get_data(as_text=True)
    assert 'id="print-slip"' in page and 'id="slip"' in page
    r = agent.post(f"/agent/register/{ticket_id}/print", json=False)
    assert r.status_code == 303
    with db(app).session() as s:
        ticket = s.get(Ticket, ticket_id)
    data = printer.slip()
    assert ticket.code.encode() in data and f"/ticket/{ticket.public_id}".encode() in data
    assert "Le ticket est imprimé." in agent.get(f"/agent/register/{ticket_id}").get_data(as_text=True)


def test_a_printer_that_is_off_gives_a_message_and_the_ticket_stands(app):
    agent, ticket_id = registered(app, off_address())
    r = agent.post(f"/agent/register/{ticket_id}/print", json=False)
    assert r.status_code == 303
    page = agent.get(f"/agent/register/{ticket_id}").get_data(as_text=True)
    assert "ne répond pas" in page and 'id="ticket-number"' in page
    with db(app).session() as s:
        assert s.get(Ticket, ticket_id).status == "waiting"


def test_without_a_desk_printer_the_browser_prints(app):
    agent, ticket_id = registered(app, None)
    page = agent.get(f"/agent/register/{ticket_id}").get_data(as_text=True)
    assert 'id="print-slip"' not in page and 'id="print-browser"' in page
    r = agent.post(f"/agent/register/{ticket_id}/print", json=False)
    assert r.status_code == 303
    assert "pas d&#39;imprimante" in agent.get(f"/agent/register/{ticket_id}").get_data(as_text=True)


def test_the_slip_and_its_qr_code_are_for_the_tickets_site_only(app):
    agent, ticket_id = registered(app, None)
    qr = agent.get(f"/agent/register/{ticket_id}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    other = Console(app, "agent.saint-dizier")
    for path in (f"/agent/register/{ticket_id}", f"/agent/register/{ticket_id}/qr.svg"):
        assert other.get(path).status_code == 404, path
    assert other.post(f"/agent/register/{ticket_id}/print", json=False).status_code == 404
    assert app.test_client().get(f"/agent/register/{ticket_id}/qr.svg").status_code == 303  # to the sign-in page


def test_the_slip_of_a_visitor_given_a_list_of_documents_carries_its_qr_code(app, printer):
    agent, ticket_id = registered(app, printer.address)
    assert 'id="slip-documents"' not in agent.get(f"/agent/register/{ticket_id}").get_data(as_text=True)
    assert agent.get(f"/agent/register/{ticket_id}/pieces.svg").status_code == 404
    r = agent.post(f"/agent/tickets/{ticket_id}/pieces", json=False, documents=["rib"], retour="enregistrement")
    assert r.status_code == 303 and r.headers["Location"].endswith("retour=enregistrement")
    assert 'id="slip-documents"' in agent.get(f"/agent/register/{ticket_id}").get_data(as_text=True)
    with db(app).session() as s:
        ticket = s.get(Ticket, ticket_id)
    qr = agent.get(f"/agent/register/{ticket_id}/pieces.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert agent.post(f"/agent/register/{ticket_id}/print", json=False).status_code == 303
    data = printer.slip()
    assert f"/ticket/{ticket.public_id}".encode() in data and f"/pieces/{ticket.checklist}".encode() in data
    assert data.count(b"\x1d(k\x03\x001Q0") == 2  # two QR codes printed: the ticket, the list
