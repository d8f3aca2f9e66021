"""A push service for the tests, on loopback over HTTPS: what a browser vendor's would check and decrypt.

For each POST it checks the VAPID header (RFC 8292: an ES256 JWT signed by the key it names, for
this origin, not expired, with a contact) and the headers RFC 8030 requires, then decrypts the body
with the subscriber's private key and authentication secret (RFC 8291, aes128gcm) as the browser
would. ``subscription()`` plays the browser: a new key pair and secret, and the JSON it would give.
"""
from __future__ import annotations

import base64
import datetime
import json
import os
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _certificate(folder: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


class PushService:
    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="accueil-push-")
        self.ca, key = _certificate(self.folder)
        self.browsers: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}
        self.received: list[dict] = []
        self.refused: list[str] = []
        self.answers: dict[str, list[int]] = {}
        """Subscription id -> statuses to answer first (429, 410…), before 201."""
        self.changed = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = service._take(self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.origin = f"https://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def subscription(self) -> tuple[str, dict]:
        """A new browser's subscription: its id here, and the JSON the page sends."""
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        sid = _b64e(os.urandom(12))
        self.browsers[sid] = (key, auth)
        point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return sid, {"endpoint": f"{self.origin}/push/{sid}", "expirationTime": None,
                     "keys": {"p256dh": _b64e(point), "auth": _b64e(auth)}}

    def _refuse(self, why: str) -> int:
        with self.changed:
            self.refused.append(why)
            self.changed.notify_all()
        return 400

    def _take(self, path: str, headers, body: bytes) -> int:
        sid = path.rsplit("/", 1)[-1]
        if sid not in self.browsers:
            return 404
        queued = self.answers.get(sid)
        if queued:
            return queued.pop(0)
        # RFC 8292: Authorization: vapid t=<JWT>, k=<public key>
        auth = headers.get("Authorization", "")
        if not auth.startswith("vapid "):
            return self._refuse("no vapid authorization")
        fields = dict(part.strip().split("=", 1) for part in auth[6:].split(","))
        token, public = fields.get("t", ""), fields.get("k", "")
        try:
            head, claims, signature = token.split(".")
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64d(public))
            raw = _b64d(signature)
            key.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                       f"{head}.{claims}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
        except Exception:  # noqa: BLE001 - any fault of the token is a refusal
            return self._refuse("bad vapid signature")
        header, payload = json.loads(_b64d(head)), json.loads(_b64d(claims))
        if header.get("alg") != "ES256" or payload.get("aud") != self.origin:
            return self._refuse("wrong audience or algorithm")
        if not time.time() < payload.get("exp", 0) <= time.time() + 24 * 3600 or not payload.get("sub"):
            return self._refuse("expired or no contact")
        if headers.get("Content-Encoding") != "aes128gcm" or not headers.get("TTL"):
            return self._refuse("RFC 8030 headers missing")
        private, secret = self.browsers[sid]
        try:
            clear = http_ece.decrypt(body, private_key=private, auth_secret=secret, version="aes128gcm")
        except Exception:  # noqa: BLE001
            return self._refuse("payload not decryptable")
        with self.changed:
            self.received.append({"subscription": sid, "vapid_key": public, "ttl": int(headers["TTL"]),
                                  "payload": json.loads(clear)})
            self.changed.notify_all()
        return 201

    def wait_for(self, predicate, timeout: float = 15.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
