"""E-mail over SMTP (standard library ``smtplib``), configured by the environment:

``CXDASH_SMTP_HOST`` (required to send e-mail), ``CXDASH_SMTP_PORT`` (default 587 for ``starttls``, 465 for
``ssl``, 25 for ``none``), ``CXDASH_SMTP_SECURITY`` (``starttls`` default, ``ssl`` or ``none``),
``CXDASH_SMTP_USER`` and ``CXDASH_SMTP_PASSWORD`` (log in when the user is set), ``CXDASH_SMTP_FROM`` (the sender,
default the user or ``cxdash@localhost``), ``CXDASH_SMTP_TIMEOUT`` (seconds, default 20) and ``CXDASH_SMTP_CA_FILE``
(a CA bundle to trust for a server with a private certificate; the server's certificate and name are always
checked).

Each message is multipart/alternative: plain text first, HTML second (the HTML escapes every value it shows).
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

SECURITIES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class MailNotConfigured(RuntimeError):
    """No SMTP host is configured (``CXDASH_SMTP_HOST``)."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send e-mail."""

    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str
    timeout: float = 20.0
    ca_file: str | None = None

    def __repr__(self) -> str:  # never print the password
        return f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, user={self.user!r})"


def smtp_settings(env: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """The SMTP settings of the environment; None when no host is set. ValueError on a bad port or security."""
    env = os.environ if env is None else env
    host = env.get("CXDASH_SMTP_HOST", "").strip()
    if not host:
        return None
    security = env.get("CXDASH_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in SECURITIES:
        raise ValueError(f"CXDASH_SMTP_SECURITY must be one of {', '.join(SECURITIES)}")
    port_text = env.get("CXDASH_SMTP_PORT", "").strip()
    try:
        port = int(port_text) if port_text else DEFAULT_PORTS[security]
        timeout = float(env.get("CXDASH_SMTP_TIMEOUT", "") or 20)
    except ValueError as exc:
        raise ValueError("CXDASH_SMTP_PORT and CXDASH_SMTP_TIMEOUT must be numbers") from exc
    user = env.get("CXDASH_SMTP_USER", "").strip() or None
    sender = env.get("CXDASH_SMTP_FROM", "").strip() or user or "cxdash@localhost"
    return SmtpSettings(host, port, security, user, env.get("CXDASH_SMTP_PASSWORD") or None, sender, timeout,
                        env.get("CXDASH_SMTP_CA_FILE", "").strip() or None)


def build_email(sender: str, to: str, subject: str, text: str, html: str | None) -> EmailMessage:
    """A multipart/alternative message (plain text, then HTML when given), UTF-8 throughout."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    # Header injection: a subject comes from the catalogs and unit names; a line break would start a new header.
    msg["Subject"] = " ".join(subject.splitlines())
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, charset="utf-8")
    if html:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def send_email(settings: SmtpSettings, msg: EmailMessage) -> None:
    """Send ``msg`` through the configured server; raises OSError / smtplib.SMTPException on failure."""
    context = ssl.create_default_context(cafile=settings.ca_file)
    server: smtplib.SMTP
    if settings.security == "ssl":
        server = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with server:
        if settings.security == "starttls":
            server.starttls(context=context)
        if settings.user:
            _login(server, settings.user, settings.password or "")
        server.send_message(msg)


def _login(server: smtplib.SMTP, user: str, password: str) -> None:
    """Log in; ``smtplib`` encodes credentials as ASCII, so others go as AUTH PLAIN in UTF-8 (RFC 4616)."""
    if (user + password).isascii():
        server.login(user, password)
        return
    server.ehlo_or_helo_if_needed()
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")
    code, answer = server.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)
