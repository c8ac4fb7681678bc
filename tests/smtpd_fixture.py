"""A real SMTP server on loopback (aiosmtpd) with STARTTLS and AUTH, for the mail tests and bench.

Not collected by pytest; tests import ``smtp_server``. The server's certificate is
self-signed, made here with ``cryptography``; clients trust it through ``ca_file``.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"
USER = "duban@example.cn"
PASSWORD = "s3cret-Pw!42"
SENDER = "县政府督查室 <duban@example.cn>"


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


@dataclass
class Recorder:
    """aiosmtpd handler that keeps what it accepts and can misbehave on purpose.

    ``rcpt_reply(address) -> str | None`` answers RCPT (e.g. "451 ..." or "550 ...");
    ``drop_after`` closes the connection instead of accepting message number k+1, once.
    """

    rcpt_reply: Callable[[str], str | None] | None = None
    drop_after: int | None = None
    received: list[Received] = field(default_factory=list)
    rcpt_seen: list[str] = field(default_factory=list)
    logins: int = 0
    dropped: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_seen.append(address)
        reply = self.rcpt_reply(address) if self.rcpt_reply else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if (
                self.drop_after is not None
                and not self.dropped
                and len(self.received) >= self.drop_after
            ):
                self.dropped = True
                server.transport.close()
                return "421 4.3.2 closing connection"
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        if ok:
            self.logins += 1
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


@dataclass
class Server:
    """Where the test server listens and the env that points duban at it."""

    port: int
    recorder: Recorder
    ca_file: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            "DUBAN_SMTP_HOST": HOST,
            "DUBAN_SMTP_PORT": str(self.port),
            "DUBAN_SMTP_SECURITY": "starttls",
            "DUBAN_SMTP_USER": USER,
            "DUBAN_SMTP_PASSWORD": PASSWORD,
            "DUBAN_SMTP_FROM": SENDER,
            "DUBAN_SMTP_CA_FILE": str(self.ca_file),
            "DUBAN_SMTP_TIMEOUT": "10",
        }


def free_port() -> int:
    """Return a loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1/localhost and its key; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "duban test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@contextmanager
def smtp_server(
    folder: Path, recorder: Recorder | None = None, *, port: int | None = None
) -> Iterator[Server]:
    """Run a STARTTLS + AUTH SMTP server on loopback for the duration of the block."""
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    if not cert_file.exists():
        make_certificate(folder)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_file, key_file)
    recorder = recorder or Recorder()
    port = port or free_port()
    controller = Controller(
        recorder,
        hostname=HOST,
        port=port,
        tls_context=tls,
        require_starttls=True,
        authenticator=recorder.authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield Server(port, recorder, cert_file)
    finally:
        controller.stop()
