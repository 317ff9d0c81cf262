"""Who is who in the running app (#21): the frame refuses unverified e-mails, another provider account for a
known e-mail, expired sessions and sessions older than a sign-out; the users page stores the providers allowed
without ``email_verified`` and resets a binding. AppTest with ``at.user`` claims, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from cxdash.audit import audit_entries
from cxdash.auth import save_user
from cxdash.db import make_engine
from cxdash.i18n import t
from cxdash.schema import app_user
from tests.support.app import no_errors
from tests.support.auth import (
    ISSUER,
    no_pages_directory_mode,
    private_database,
    provider_claims,
    signed_in_app,
)
from tests.support.pg import BACKENDS

pytestmark = pytest.mark.apptest

ADMIN, EXEC = "admin@x.org", "exec@x.org"


@pytest.fixture(scope="module", params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with an admin and an executive (no survey data: the gate runs before any page)."""
    pg = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    with private_database(request.param, tmp_path_factory.mktemp("identity"), pg, "identity") as url:
        engine = make_engine(url)
        with engine.begin() as conn:
            save_user(conn, "setup", ADMIN, "admin", "Ada Admin")
            save_user(conn, "setup", EXEC, "executive", "Eve Exec")
        engine.dispose()
        yield url


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    no_pages_directory_mode(monkeypatch)


def _app(url: str, email: str, **claims: object):
    at = signed_in_app(url, email, clear=False)
    at.user = {"is_logged_in": True, "email": email, "name": "Someone", **provider_claims(email, **claims)}
    return at


def _refused(at, reason: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [t(f"auth.refused.{reason}", "en")]
    assert not at.dataframe and not at.metric and not at.sidebar.markdown


def test_unverified_e_mail_is_refused_and_audited(db: str) -> None:
    at = _app(db, EXEC, subject="sub-unverified", verified=False)
    at.run()
    _refused(at, "unverified")
    at.run()  # audited once per browser session, not on every rerun
    engine = make_engine(db)
    refused = audit_entries(engine, action="user.sign_in_refused", actor=EXEC)
    assert len(refused) == 1 and "unverified" in refused["detail"].iloc[0]
    engine.dispose()


def test_the_first_sign_in_binds_and_another_subject_is_refused(db: str) -> None:
    at = _app(db, EXEC, subject="exec-real")
    at.run()
    no_errors(at)
    assert "Someone" in " ".join(m.value for m in at.sidebar.markdown)
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(select(app_user.c.issuer, app_user.c.subject)
                            .where(app_user.c.email == EXEC)).one() == (ISSUER, "exec-real")
    at = _app(db, "EXEC@x.org", subject="someone-else")
    at.run()
    _refused(at, "other_subject")
    assert "someone-else" in " ".join(audit_entries(engine, action="user.sign_in_refused")["detail"])
    engine.dispose()


def test_an_old_session_expires(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(db, ADMIN, issued_at=time.time() - 13 * 3600)
    at.run()
    _refused(at, "expired")
    assert at.button(key="auth_sign_in").label == t("auth.signin.again", "en")
    monkeypatch.setenv("CXDASH_SESSION_HOURS", "24")
    at = _app(db, ADMIN, issued_at=time.time() - 13 * 3600)
    at.run()
    no_errors(at)
    assert not at.warning


def test_sign_out_ends_a_copied_session(db: str, interactive: None) -> None:
    claims = {"subject": "sub-admin@x.org", "issued_at": time.time() - 60}
    at = _app(db, ADMIN, **claims)
    at.run()
    no_errors(at)
    at.sidebar.button(key="auth_sign_out").click().run()
    assert at.user == {"is_logged_in": False}
    replay = _app(db, ADMIN, **claims)  # the same cookie, from before the sign-out
    replay.run()
    _refused(replay, "ended")
    fresh = _app(db, ADMIN, subject="sub-admin@x.org", issued_at=time.time() + 1)
    fresh.run()
    no_errors(fresh)
    assert not fresh.warning


def test_users_page_trusts_an_issuer_and_resets_a_binding(db: str, interactive: None) -> None:
    at = _app(db, "newcomer@x.org", verified=None)
    at.run()
    _refused(at, "unverified")
    admin = _app(db, ADMIN, subject="sub-admin@x.org", issued_at=time.time() + 2)
    admin.run()
    admin.switch_page("ui/pages/users.py")
    admin.run()
    no_errors(admin)
    admin.text_area(key="identity_issuers_text").set_value(ISSUER + "\nnot a url")
    admin.button(key="FormSubmitter:identity_issuers-" + t("auth.identity.save", "en")).click().run()
    assert admin.error and "not an issuer URL" in admin.error[0].value
    admin.text_area(key="identity_issuers_text").set_value(ISSUER)
    admin.button(key="FormSubmitter:identity_issuers-" + t("auth.identity.save", "en")).click().run()
    assert [s.value for s in admin.success] == [t("auth.identity.saved", "en")]
    at = _app(db, "newcomer@x.org", verified=None)
    at.run()
    assert not at.warning or at.warning[0].value != t("auth.refused.unverified", "en")
    assert at.title[0].value == t("auth.norole.title", "en")  # accepted, waiting for a role
    admin.selectbox(key="identity_reset_pick").set_value(EXEC)
    admin.button(key="identity_reset").click().run()
    no_errors(admin)
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(select(app_user.c.subject).where(app_user.c.email == EXEC)).scalar() is None
    assert audit_entries(engine, action="user.reset_identity")["entity_id"].tolist() == [EXEC]
    engine.dispose()
