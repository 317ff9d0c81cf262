"""Real local servers for the notice tests: an SMTP server (aiosmtpd) and an HTTP server (http.server in a thread),
both on 127.0.0.1 at a free port, recording what they received; and the rows of the inner loop a test needs
(rules, cases and their triggers) written directly until the core's case writer is merged.

Usage::

    with smtp_server() as smtp:
        ...  # send to 127.0.0.1:smtp.port
    messages = smtp.messages  # email.message.Message objects

    with http_server([500, 500, 200]) as web:
        ...  # POST to web.url
    web.requests  # [(path, headers, body, status answered)]
"""

from __future__ import annotations

import email
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from cxdash.schema import alert_rule, case_trigger, followup_case


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpSink:
    """What the SMTP server received: parsed messages and their envelope recipients."""

    port: int
    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        """aiosmtpd's hook: parse and keep the message."""
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, written to ``folder``; returns (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@contextmanager
def smtp_server(tls: str | None = None, cert: tuple[Path, Path] | None = None,
                login: tuple[str, str] | None = None) -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 at a free port for the duration of the block.

    ``tls``: None (plain), "starttls" (STARTTLS required) or "ssl" (TLS from the first byte), with ``cert``
    (certificate and key files). ``login``: the only user and password AUTH accepts (then AUTH is required).
    """
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    sink = SmtpSink(free_port())
    kwargs: dict[str, Any] = {}
    if tls is not None:
        assert cert is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert[0]), str(cert[1]))
        kwargs.update({"tls_context": context, "require_starttls": True} if tls == "starttls"
                      else {"ssl_context": context})
    if login is not None:
        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == login
            return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

        # aiosmtpd knows only STARTTLS as TLS; with TLS from the first byte it would refuse AUTH as unencrypted.
        kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=tls == "starttls")
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, **kwargs)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class WebSink:
    """What the HTTP server received and the statuses it answers with, in order (the last repeats)."""

    statuses: list[int]
    url: str = ""
    requests: list[tuple[str, dict[str, str], bytes, int]] = field(default_factory=list)


@contextmanager
def http_server(statuses: Sequence[int] = (200,), answer: bytes = b'{"ok": true}') -> Iterator[WebSink]:
    """A real HTTP server on 127.0.0.1 recording every POST and answering with ``statuses`` in turn."""
    sink = WebSink(list(statuses))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            i = min(len(sink.requests), len(sink.statuses) - 1)
            status = sink.statuses[i]
            sink.requests.append((self.path, {k: v for k, v in self.headers.items()}, body, status))
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer if status == 200 else b'{"error": "try later"}')

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/hook?key=k1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


NOW = datetime(2026, 3, 16, 9, 0)  # a Monday morning (UTC)


def rule(conn: Connection, name: str = "LTR at most 6", severity: str = "high") -> int:
    """An active response rule (LTR at or below 6)."""
    return int(conn.execute(insert(alert_rule).values(
        name=name, kind="ltr_at_most", params={"threshold": 6}, scope_kind="all", severity=severity,
        response_hours=24.0, window_days=7, active=True, created_at=NOW, updated_at=NOW, created_by="test",
    )).inserted_primary_key[0])


def case(conn: Connection, rule_id: int, *, site_id: int, team_id: int, region_id: int | None = None,
         severity: str = "high", owner: int | None = None, customer_id: int | None = None,
         response_id: int | None = None, opened_at: datetime = NOW, due_hours: float = 24.0,
         status: str = "new") -> int:
    """A follow-up case with one trigger (the response, when given)."""
    case_id = int(conn.execute(insert(followup_case).values(
        rule_id=rule_id, source="response", customer_id=customer_id, region_id=region_id, site_id=site_id,
        team_id=team_id, severity=severity, status=status, owner_user_id=owner, opened_at=opened_at,
        due_at=opened_at + timedelta(hours=due_hours), dedupe_key=f"{rule_id}:{customer_id}:{opened_at}",
        updated_at=opened_at,
    )).inserted_primary_key[0])
    conn.execute(insert(case_trigger).values(case_id=case_id, rule_id=rule_id, response_id=response_id,
                                             at=opened_at - timedelta(hours=1), detail={"ltr": 3}))
    return case_id
