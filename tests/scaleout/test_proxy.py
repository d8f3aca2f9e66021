"""Behind the documented nginx (deploy/nginx.conf, run for real), limits and caps see the visitor's address.

nginx terminates TLS and appends the address it sees to X-Forwarded-For; the app trusts one
proxy hop (ACCUEIL_TRUSTED_PROXIES=1) and so keys every rate limit and connection cap on that
address: not nginx's (every visitor would share one limit), not one a client forged (it could
dodge every limit). Clients here connect from two loopback addresses, 127.0.0.1 and 127.0.0.2.
"""
from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import websocket
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.scaleout.servers import EMBEDDED, ROOT, AppProcess, prepare_instance
from tests.web.test_commands import free_port

HOST = "accueil.example.fr"
LIMIT = 120  # the API's ticket-link limit per address and minute (api/views.py TICKET_LIMIT)


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    chain, private = folder / "fullchain.pem", folder / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return chain, private


class Nginx:
    """The repository's deploy/nginx.conf, pointed at one app process, on free loopback ports."""

    def __init__(self, tmp: Path, app_port: int) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(binary):
            raise RuntimeError("nginx is missing: run scripts/system-packages.sh")
        self.tls_port = free_port()
        chain, private = self_signed(tmp)
        site = (ROOT / "deploy" / "nginx.conf").read_text()
        site = re.sub(r"\n\s*server 127\.0\.0\.1:800[12];", "", site)
        site = site.replace("hash $remote_addr consistent;", f"hash $remote_addr consistent;\n    server 127.0.0.1:{app_port};")
        site = site.replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
        site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{self.tls_port} ssl http2;")
        site = site.replace("/etc/ssl/accueil/fullchain.pem", str(chain)).replace("/etc/ssl/accueil/privkey.pem",
                                                                                   str(private))
        assert str(app_port) in site and str(self.tls_port) in site and str(chain) in site
        temp = tmp / "nginx-temp"
        temp.mkdir()
        main = tmp / "nginx.conf"
        main.write_text(f"""
user root;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
{site}
}}
""")
        self.log = tmp / "nginx-error.log"
        self.process = subprocess.Popen([binary, "-p", str(tmp), "-c", str(main), "-g", "daemon off;"],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.tls_port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise AssertionError("nginx did not start: " + self.process.stdout.read().decode(errors="replace"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def tls_socket(port: int, source: str) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(raw, server_hostname=HOST)


def get(port: int, path: str, source: str = "127.0.0.1", headers: dict | None = None) -> int:
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10)
    conn.sock = tls_socket(port, source)
    conn.request("GET", path, headers={"Host": HOST, **(headers or {})})
    status = conn.getresponse().status
    conn.close()
    return status


def live_socket(port: int, source: str) -> websocket.WebSocket:
    """An Engine.IO websocket through nginx, from *source*; raises WebSocketBadStatusException if refused."""
    return websocket.create_connection(f"wss://{HOST}:{port}/socket.io/?EIO=4&transport=websocket",
                                       socket=tls_socket(port, source), timeout=10, host=HOST,
                                       origin=f"https://{HOST}")  # what a browser on the site sends (port 443)


@pytest.fixture
def behind_nginx(tmp_path):
    instance = tmp_path / "instance"
    env = {**os.environ, "ACCUEIL_INSTANCE": str(instance), "ACCUEIL_TRUSTED_PROXIES": "1",
           "ACCUEIL_SOCKETS_PER_ADDRESS": "3", "RATELIMIT_ENABLED": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    prepare_instance(env)
    app = AppProcess(env, tmp_path, config=EMBEDDED)
    nginx = Nginx(tmp_path, app.port)
    yield nginx
    nginx.stop()
    logs = app.stop()
    assert "Traceback" not in logs, logs


def test_a_forged_forwarded_address_dodges_no_limit_and_visitors_do_not_share_nginxs(behind_nginx):
    port = behind_nginx.tls_port
    answers = [get(port, "/api/v1/tickets/inconnu" + "x" * 20, headers={"X-Forwarded-For": f"10.9.{i // 250}.{i % 250}"})
               for i in range(LIMIT + 1)]
    assert answers[:LIMIT] == [404] * LIMIT
    assert answers[LIMIT] == 429  # one visitor, whatever address it claims
    # Another visitor behind the same nginx has their own allowance.
    assert get(port, "/api/v1/tickets/inconnu" + "x" * 20, source="127.0.0.2") == 404


def test_the_live_connection_cap_counts_each_visitors_own_sockets(behind_nginx):
    port = behind_nginx.tls_port
    held = [live_socket(port, "127.0.0.1") for _ in range(3)]
    try:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            live_socket(port, "127.0.0.1")
        assert refused.value.status_code == 401
        other = live_socket(port, "127.0.0.2")  # not nginx's address: another visitor, another count
        assert other.recv().startswith("0{")
        other.close()
    finally:
        for ws in held:
            ws.close()
