"""Who is who (#21): identity binding, verified e-mails, the bootstrap admin and the session epoch, on SQLite and
PostgreSQL; local mode's start-up refusal on a network address."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from cxdash.audit import audit_entries, now_utc
from cxdash.auth import (
    SignIn,
    SignInRefused,
    check_sign_in,
    end_sessions,
    record_refusal,
    reset_identity,
    save_trusted_issuers,
    save_user,
    session_lifetime,
)
from cxdash.schema import app_user
from cxdash.ui.serve import local_mode_notice

ISS = "https://id.example.test"
NOW = datetime(2026, 12, 7, 9, 0, 0)


def _sign_in(email: str = "ada@x.org", sub: str = "sub-ada", verified: bool | None = True,
             at: datetime = NOW - timedelta(minutes=5), iss: str = ISS) -> SignIn:
    return SignIn(email=email.lower(), name="Ada", issuer=iss, subject=sub, verified=verified, issued_at=at)


def _refused(engine, sign_in: SignIn, now: datetime = NOW) -> str:
    with pytest.raises(SignInRefused) as info:
        check_sign_in(engine, sign_in, now)
    return info.value.reason


def _stored(engine, email: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(app_user).where(app_user.c.email == email)).mappings().one())


def test_claims_are_read_as_providers_send_them():
    s = SignIn.from_claims({"email": " ADMIN@Example.com ", "email_verified": "false", "iss": ISS, "sub": "42",
                            "iat": 1_796_000_000, "name": "A"})
    assert (s.email, s.verified, s.subject) == ("admin@example.com", False, "42")
    assert s.issued_at == datetime(2026, 11, 30, 0, 53, 20)
    assert SignIn.from_claims({"email": "a@x.org"}).verified is None
    assert SignIn.from_claims({"email": "a@x.org", "iat": "junk"}).issued_at is None


def test_the_first_verified_sign_in_binds_the_user_and_another_subject_is_refused(engine):
    with engine.begin() as conn:
        save_user(conn, "setup", "ada@x.org", "executive", "Ada")
    assert check_sign_in(engine, _sign_in(), NOW).role == "executive"
    row = _stored(engine, "ada@x.org")
    assert (row["issuer"], row["subject"]) == (ISS, "sub-ada")
    assert audit_entries(engine, action="user.bind")["entity_id"].tolist() == ["ada@x.org"]
    # The same e-mail from another provider account, verified or not, upper-cased or not: refused, audited.
    other = _sign_in("ADA@X.org", sub="attacker")
    assert _refused(engine, other) == "other_subject"
    assert _refused(engine, _sign_in(sub="sub-ada", iss="https://evil.example")) == "other_subject"
    record_refusal(engine, other, "other_subject")
    refused = audit_entries(engine, action="user.sign_in_refused")
    assert refused["entity_id"].tolist() == ["ada@x.org"] and "attacker" in refused["detail"].iloc[0]
    assert _stored(engine, "ada@x.org")["subject"] == "sub-ada"  # unchanged
    assert check_sign_in(engine, _sign_in(), NOW).role == "executive"  # the bound account still gets in


def test_unverified_e_mails_are_refused_unless_an_admin_trusts_the_issuer(engine, monkeypatch):
    with engine.begin() as conn:
        save_user(conn, "setup", "ada@x.org", "cx_lead")
    assert _refused(engine, _sign_in(verified=False)) == "unverified"
    assert _refused(engine, _sign_in(verified=None)) == "unverified"
    assert _stored(engine, "ada@x.org")["subject"] is None  # a refused sign-in binds nothing
    with engine.begin() as conn:
        save_trusted_issuers(conn, "admin@x.org", [ISS + "/"])
    assert check_sign_in(engine, _sign_in(verified=None), NOW).role == "cx_lead"
    assert _refused(engine, _sign_in(verified=False)) == "unverified"  # "not verified" stays refused
    assert "edit_settings" in audit_entries(engine, actor="admin@x.org")["action"].tolist()
    with engine.begin() as conn, pytest.raises(ValueError, match="not an issuer URL"):
        save_trusted_issuers(conn, "admin@x.org", ["javascript:alert(1)"])
    monkeypatch.setenv("CXDASH_TRUST_UNVERIFIED_EMAIL_ISSUERS", "https://other.example")
    assert check_sign_in(engine, _sign_in(verified=None, sub="sub-o", email="o@x.org",
                                          iss="https://other.example"), NOW).role is None


def test_the_bootstrap_admin_is_only_the_configured_address_verified(engine, monkeypatch):
    monkeypatch.setenv("CXDASH_ADMIN_EMAILS", "admin@example.com")
    # The incident: an unverified provider account sending the admin's address, another subject.
    assert _refused(engine, _sign_in("ADMIN@Example.com", sub="intruder", verified=False)) == "unverified"
    monkeypatch.setenv("CXDASH_TRUST_UNVERIFIED_EMAIL_ISSUERS", ISS)  # even a trusted issuer must verify it
    assert check_sign_in(engine, _sign_in("admin@example.com", sub="intruder", verified=None), NOW).role is None
    assert audit_entries(engine, action="user.bootstrap_admin").empty
    assert check_sign_in(engine, _sign_in("Admin@Example.com", sub="real-admin"), NOW).role == "admin"
    assert _stored(engine, "admin@example.com")["subject"] == "real-admin"
    assert audit_entries(engine, action="user.bootstrap_admin")["actor"].tolist() == ["admin@example.com"]
    assert _refused(engine, _sign_in("admin@example.com", sub="intruder")) == "other_subject"
    assert check_sign_in(engine, _sign_in("someone@example.com", sub="s"), NOW).role is None  # not configured


def test_sign_out_ends_every_earlier_session_and_a_new_sign_in_works(engine):
    with engine.begin() as conn:
        save_user(conn, "setup", "ada@x.org", "executive")
    copied = _sign_in(at=NOW - timedelta(hours=1))
    assert check_sign_in(engine, copied, NOW).role == "executive"
    with engine.begin() as conn:
        end_sessions(conn, "Ada@x.org", NOW)
    assert _refused(engine, copied, NOW + timedelta(minutes=1)) == "ended"
    fresh = _sign_in(at=NOW + timedelta(minutes=2))
    assert check_sign_in(engine, fresh, NOW + timedelta(minutes=3)).role == "executive"


@pytest.mark.parametrize("change", ["role", "deactivate", "name only"])
def test_role_change_and_deactivation_end_sessions(engine, change):
    with engine.begin() as conn:
        save_user(conn, "setup", "ada@x.org", "executive", "Ada")
    old = _sign_in(at=now_utc() - timedelta(minutes=10))  # save_user stamps the real clock
    assert check_sign_in(engine, old, now_utc()).role == "executive"
    with engine.begin() as conn:
        if change == "role":
            save_user(conn, "admin", "ada@x.org", "cx_lead", "Ada")
        elif change == "deactivate":
            save_user(conn, "admin", "ada@x.org", "executive", "Ada", active=False)
        else:
            save_user(conn, "admin", "ada@x.org", "executive", "Ada Lovelace")
    if change == "name only":
        assert check_sign_in(engine, old, now_utc()).role == "executive"
    else:
        assert _refused(engine, old, now_utc()) == "ended"


def test_sessions_last_the_configured_lifetime(engine, monkeypatch):
    with engine.begin() as conn:
        save_user(conn, "setup", "ada@x.org", "executive")
    assert session_lifetime() == timedelta(hours=12)
    assert check_sign_in(engine, _sign_in(at=NOW - timedelta(hours=11, minutes=59)), NOW).role == "executive"
    assert _refused(engine, _sign_in(at=NOW - timedelta(hours=12, minutes=1))) == "expired"
    assert _refused(engine, _sign_in(at=NOW - timedelta(days=29))) == "expired"  # Streamlit's 30-day cookie
    monkeypatch.setenv("CXDASH_SESSION_HOURS", "0.5")
    assert _refused(engine, _sign_in(at=NOW - timedelta(minutes=31))) == "expired"
    monkeypatch.setenv("CXDASH_SESSION_HOURS", "nonsense")
    assert session_lifetime() == timedelta(hours=12)
    no_time = SignIn("ada@x.org", None, ISS, "sub-ada", True, None)
    assert _refused(engine, no_time) == "expired"


def test_no_e_mail_claim_is_refused(engine):
    assert _refused(engine, _sign_in(email="")) == "no_email"


def test_an_admin_can_reset_a_binding(engine):
    with engine.begin() as conn:
        save_user(conn, "setup", "ada@x.org", "executive")
    check_sign_in(engine, _sign_in(), NOW)
    with engine.begin() as conn:
        reset_identity(conn, "admin@x.org", "ada@x.org")
    moved = _sign_in(sub="new-sub", at=now_utc() + timedelta(seconds=1))
    assert check_sign_in(engine, moved, now_utc() + timedelta(seconds=2)).role == "executive"
    assert _stored(engine, "ada@x.org")["subject"] == "new-sub"
    assert audit_entries(engine, action="user.reset_identity")["actor"].tolist() == ["admin@x.org"]


@pytest.mark.parametrize(
    ("address", "signin", "allowed", "refuse", "says"),
    [("localhost", False, False, False, None), ("127.0.0.1", False, False, False, None),
     ("0.0.0.0", False, False, True, "REFUSED"), (None, False, False, True, "every network interface"),
     ("0.0.0.0", True, False, False, None), ("10.0.0.5", False, True, False, "EVERYONE")],
)
def test_local_mode_start_up_notice(address, signin, allowed, refuse, says):
    refused, message = local_mode_notice(address, signin, allowed)
    assert refused is refuse
    assert (message is None) if says is None else (says in (message or ""))


def test_serve_refuses_local_mode_on_a_network_address(tmp_path, monkeypatch, capsys):
    from streamlit import config
    from streamlit.web import bootstrap

    from cxdash import cli

    started: list[bool] = []
    monkeypatch.setattr(bootstrap, "run", lambda *a, **k: started.append(True))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.delenv("CXDASH_ALLOW_LOCAL_MODE_ON_NETWORK", raising=False)
    monkeypatch.setenv("CXDASH_DATABASE_URL", "sqlite:///elsewhere.db")  # serve sets it; restored afterwards
    saved = {k: config.get_option(k) for k in ("server.address", "server.port", "server.headless")}
    url = f"sqlite:///{tmp_path / 'served.db'}"
    try:
        with pytest.raises(SystemExit) as info:
            cli.main(["--database-url", url, "serve", "--server.address", "0.0.0.0", "--server.headless", "true",
                      "--server.port", "8598"])
        assert info.value.code == 2 and not started
        assert "REFUSED" in capsys.readouterr().err
        with pytest.raises(SystemExit) as info:
            cli.main(["--database-url", url, "serve", "--server.address", "localhost", "--server.headless", "true",
                      "--server.port", "8598"])
        assert info.value.code == 0 and started
    finally:  # Streamlit's options are process-wide: later AppTests must not inherit these
        for key, value in saved.items():
            config._set_option(key, value, "test")
