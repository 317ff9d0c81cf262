"""``python -m cxdash notify run|digest|test`` on a real SQLite file, with SMTP settings from the environment
pointing at a real local aiosmtpd server; and the pure parts: chat escaping, contact redaction, SMTP settings."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from cxdash.audit import now_utc
from cxdash.auth import save_user
from cxdash.cli import main
from cxdash.domain.followup import CHANNEL_KINDS
from cxdash.notify.channels import ChannelError, check_channel, save_channel, save_notice_settings
from cxdash.notify.deliver import send_test
from cxdash.notify.formats import PAYLOADS, ChatMessage, chat_text, payload_for, redact_contacts
from cxdash.notify.mail import smtp_settings
from cxdash.notify.outbox import enqueue_case_notices
from cxdash.schema import app_user, notice
from tests.support.notify import case, http_server, rule, self_signed, smtp_server
from tests.world import CLOSEDLOOP


def url_of(engine: Engine) -> str:
    """The engine's URL for ``--database-url``."""
    return engine.url.render_as_string(hide_password=False)


def test_notify_commands_queue_send_and_test(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    CLOSEDLOOP.org(sqlite_engine)
    now = now_utc()
    with sqlite_engine.begin() as conn:
        save_user(conn, "root@example.com", "lead@example.com", "team_lead", "Lead", team_ids=[1])
        save_notice_settings(conn, "lead@example.com", None, language="zh-Hant", immediate=True, daily=True,
                             weekly=False)
        uid = conn.execute(select(app_user.c.id)).scalar_one()
        enqueue_case_notices(conn, [case(conn, rule(conn), site_id=1, team_id=1, owner=uid,
                                         opened_at=now - timedelta(days=2))], now)
    db = ["--database-url", url_of(sqlite_engine)]
    assert main([*db, "notify", "digest", "daily"]) == 0
    assert json.loads(capsys.readouterr().out) == {"queued": 1, "which": "daily"}
    assert main([*db, "notify", "digest", "daily"]) == 0
    assert json.loads(capsys.readouterr().out)["queued"] == 0
    with smtp_server() as smtp:
        monkeypatch.setenv("CXDASH_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("CXDASH_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("CXDASH_SMTP_SECURITY", "none")
        monkeypatch.setenv("CXDASH_SMTP_FROM", "cx@example.com")
        assert main([*db, "notify", "run"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert (out["sent"], out["outbox"]["sent"], out["outbox"]["pending"]) == (2, 2, 0)
        assert main([*db, "notify", "test", "--user", "lead@example.com"]) == 0
        assert json.loads(capsys.readouterr().out)["status"] == "sent"
    assert len(smtp.messages) == 3 and all(m["From"] == "cx@example.com" for m in smtp.messages)
    with http_server([500]) as web:
        with sqlite_engine.begin() as conn:
            ch = save_channel(conn, {"name": "x", "kind": "slack", "url": web.url}, None, now)
        assert main([*db, "notify", "test", "--channel", str(ch)]) == 1  # not delivered: exit 1, no traceback
        assert "HTTP 500" in json.loads(capsys.readouterr().out)["last_error"]
    assert main([*db, "notify", "test", "--channel", "999"]) == 2
    assert "no notice channel 999" in capsys.readouterr().err
    assert main([*db, "notify", "run", "--watch", "0"]) == 2
    assert "--watch" in capsys.readouterr().err
    assert main([*db, "notify", "digest", "weekly"]) == 0  # nobody wants the weekly summary here
    assert json.loads(capsys.readouterr().out) == {"queued": 0, "which": "weekly"}


def test_notify_run_survives_a_stuck_claim(sqlite_engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    """A runner that died while sending leaves its notice claimed; after the lease another run takes it."""
    CLOSEDLOOP.org(sqlite_engine)
    now = now_utc()
    with http_server([200]) as web:
        with sqlite_engine.begin() as conn:
            save_channel(conn, {"name": "x", "kind": "webhook", "url": web.url}, None, now)
            enqueue_case_notices(conn, [case(conn, rule(conn), site_id=1, team_id=1)], now)
            conn.execute(update(notice).values(status="sending", attempts=1, next_attempt_at=now + timedelta(minutes=5)))
        assert main(["--database-url", url_of(sqlite_engine), "notify", "run"]) == 0
        assert json.loads(capsys.readouterr().out)["claimed"] == 0  # still leased
        with sqlite_engine.begin() as conn:
            conn.execute(update(notice).values(next_attempt_at=now - timedelta(seconds=1)))
        assert main(["--database-url", url_of(sqlite_engine), "notify", "run"]) == 0
        assert json.loads(capsys.readouterr().out)["sent"] == 1
    assert len(web.requests) == 1


def test_every_channel_kind_has_a_format() -> None:
    assert set(PAYLOADS) == set(CHANNEL_KINDS)
    msg = ChatMessage("T", (("a", "b"),), ("line",), "https://cx.example.com/cases?case=1")
    for kind in CHANNEL_KINDS:
        assert json.dumps(payload_for(kind, msg, "en"))
    with pytest.raises(ValueError):
        payload_for("fax", msg, "en")


@pytest.mark.parametrize(("text", "hidden"), [
    ("call 13800138000 please", "13800138000"),
    ("call +86 138 0013 8000", "138 0013 8000"),
    ("tel. (010) 6552-1234", "6552-1234"),
    ("mail wang.li+cx@example.com.cn now", "example.com"),
])
def test_contacts_are_redacted_from_chat_text(text: str, hidden: str) -> None:
    assert hidden not in redact_contacts(text)


def test_user_text_cannot_link_or_format_in_chat() -> None:
    out = chat_text("[click](http://evil.example) **bold** <@U123> `code`\n# head")
    assert "](" not in out and "://" not in out and "**" not in out and "<@" not in out and "`" not in out
    assert "\n" not in out
    assert chat_text("# title").startswith("＃")
    assert chat_text("x" * 500).endswith("…") and len(chat_text("x" * 500)) == 301


def test_smtp_settings_come_from_the_environment() -> None:
    assert smtp_settings({}) is None
    s = smtp_settings({"CXDASH_SMTP_HOST": "mail.example.com", "CXDASH_SMTP_USER": "u@example.com",
                       "CXDASH_SMTP_PASSWORD": "pw", "CXDASH_SMTP_SECURITY": "ssl"})
    assert s is not None and (s.port, s.security, s.sender) == (465, "ssl", "u@example.com")
    assert "pw" not in repr(s)
    assert smtp_settings({"CXDASH_SMTP_HOST": "h"}).port == 587  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        smtp_settings({"CXDASH_SMTP_HOST": "h", "CXDASH_SMTP_SECURITY": "tls1"})
    with pytest.raises(ValueError):
        smtp_settings({"CXDASH_SMTP_HOST": "h", "CXDASH_SMTP_PORT": "x"})


@pytest.mark.parametrize(("values", "key"), [
    ({"name": "", "kind": "webhook", "url": "https://x.example"}, "notify.error.name"),
    ({"name": "n", "kind": "fax", "url": "https://x.example"}, "notify.error.kind"),
    ({"name": "n", "kind": "webhook", "url": "file:///etc/passwd"}, "notify.error.url"),
    ({"name": "n", "kind": "webhook", "url": "https://x.example/a b"}, "notify.error.url"),
    ({"name": "n", "kind": "webhook", "url": "https://x.example", "scope_kind": "team", "scope_id": 99},
     "notify.error.scope"),
    ({"name": "n", "kind": "webhook", "url": "https://x.example", "min_severity": "urgent"}, "notify.error.severity"),
    ({"name": "n", "kind": "webhook", "url": "https://x.example", "language": "fr"}, "notify.error.language"),
])
def test_bad_channels_are_refused_with_a_message_key(sqlite_engine: Engine, values: dict, key: str) -> None:
    CLOSEDLOOP.org(sqlite_engine)
    with sqlite_engine.connect() as conn, pytest.raises(ChannelError) as err:
        check_channel(conn, values)
    assert err.value.key == key


def test_short_numbers_and_dates_are_not_contacts() -> None:
    for text in ("2026-03-16 08:00", "waited 45 - 60 minutes", "order 12-34", "LTR 2, CSAT 1"):
        assert redact_contacts(text) == text


# aiosmtpd cannot require TLS for AUTH on a TLS-from-the-first-byte port (it knows only STARTTLS) and warns.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_over_tls_with_login(sqlite_engine: Engine, tmp_path: Path, security: str) -> None:
    """A real TLS server with a private certificate (trusted through CXDASH_SMTP_CA_FILE) that requires a login."""
    CLOSEDLOOP.org(sqlite_engine)
    cert = self_signed(tmp_path)
    with sqlite_engine.begin() as conn:
        save_user(conn, "root@example.com", "exec@example.com", "executive", "Exec")
    with smtp_server(security, cert, login=("cx", "pässword")) as smtp:
        env = {"CXDASH_SMTP_HOST": "127.0.0.1", "CXDASH_SMTP_PORT": str(smtp.port), "CXDASH_SMTP_SECURITY": security,
               "CXDASH_SMTP_USER": "cx", "CXDASH_SMTP_PASSWORD": "pässword", "CXDASH_SMTP_FROM": "cx@example.com",
               "CXDASH_SMTP_CA_FILE": str(cert[0]), "CXDASH_SMTP_TIMEOUT": "5"}
        ok = send_test(sqlite_engine, email="exec@example.com", smtp=smtp_settings(env))
        bad = send_test(sqlite_engine, email="exec@example.com", smtp=smtp_settings({**env, "CXDASH_SMTP_PASSWORD": "no"}))
        untrusted = send_test(sqlite_engine, email="exec@example.com",
                              smtp=smtp_settings({**env, "CXDASH_SMTP_CA_FILE": ""}))
    assert ok["status"] == "sent" and len(smtp.messages) == 1
    assert smtp.messages[0]["To"] == "exec@example.com"
    assert bad["status"] == "pending" and "Authentication" in bad["last_error"]
    assert untrusted["status"] == "pending" and "CERTIFICATE_VERIFY_FAILED" in untrusted["last_error"]
