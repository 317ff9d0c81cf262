"""A real sign-in (#8): headless Chromium, ``streamlit run`` with an ``[auth]`` section, and a local OpenID
Connect provider (``oidc-provider-mock``) started by the test.

The visitor gets the sign-in page, is sent to the provider, picks the user there, comes back to the overview
with their name and role in the sidebar (the first admin comes from ``CXDASH_ADMIN_EMAILS``, with a verified
e-mail), and signs out, which ends the provider's session and brings them back to the sign-in page. The sign-in
and sign-out are in the audit log.

Who is who (#21): a copy of the session cookies taken before sign-out no longer signs in afterwards; another
provider account sending the admin's e-mail (another subject) is refused, and so is an unverified e-mail; after
all that the admin signs in again normally. Screenshots: ``test-artifacts/signin-*.png``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bench import browser as bench_browser
from bench.browser import free_port
from cxdash.audit import audit_entries
from cxdash.db import make_engine
from cxdash.i18n import t
from cxdash.schema import app_user
from tests.support.app import demo_url
from tests.support.browser import (
    ARTIFACTS,
    app_python,
    chromium_page,
    require_chromium,
    screenshot,
    wait_for_app,
)

pytestmark = pytest.mark.browser

EMAIL, NAME = "ada@x.org", "Ada Lovelace"
INTRUDER, UNVERIFIED = "intruder-account", "unverified-account"  # provider subjects (their picker buttons)
SIGN_IN = "Sign in with your company account"


@contextmanager
def serve_with_sign_in(database_url: str, secrets: Path, port: int) -> Iterator[str]:
    """``streamlit run app.py`` on ``port`` with the secrets file that holds ``[auth]``."""
    with bench_browser.serve_app(database_url, ARTIFACTS / f"streamlit-signin-{port}.log", 90,
                                 env={"CXDASH_ADMIN_EMAILS": EMAIL}, port=port,
                                 extra_args=["--secrets.files", str(secrets)], python=app_python()):
        yield f"http://localhost:{port}"


def test_sign_in_and_out_with_an_openid_connect_provider(tmp_path: Path) -> None:
    require_chromium()
    pytest.importorskip("authlib")
    oidc = pytest.importorskip("oidc_provider_mock")
    db = tmp_path / "signin.db"
    shutil.copy(demo_url().removeprefix("sqlite:///"), db)
    url = f"sqlite:///{db}"
    port = free_port()
    users = [oidc.User(sub=EMAIL, claims={"email": EMAIL, "email_verified": True, "name": NAME}),
             oidc.User(sub=INTRUDER, claims={"email": EMAIL.upper(), "email_verified": True, "name": "Mallory"}),
             oidc.User(sub=UNVERIFIED, claims={"email": "eve@x.org", "email_verified": False, "name": "Eve"})]
    with oidc.run_server_in_thread(user_claims=users) as provider:
        issuer = f"http://localhost:{provider.server_port}"
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
            'cookie_secret = "test-only-cookie-secret-0123456789"\n'
            'client_id = "cxdash"\n'
            'client_secret = "test-only"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        with serve_with_sign_in(url, secrets, port) as base, chromium_page() as page:
            page.goto(base + "/?lang=en", wait_until="domcontentloaded")
            button = page.get_by_role("button", name=SIGN_IN)
            button.wait_for(timeout=90_000)
            screenshot(page, "signin-1-sign-in-page")
            _sign_in_as(page, base, issuer, EMAIL)
            wait_for_app(page)
            page.get_by_role("heading", name="Executive overview").first.wait_for(timeout=90_000)
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert NAME in sidebar.inner_text()
            assert "Admin" in sidebar.inner_text()
            screenshot(page, "signin-2-overview-signed-in")
            copied = page.context.cookies()  # a copy of the session taken before sign-out
            assert any(c["name"].startswith("_streamlit_user") for c in copied)

            sidebar.get_by_role("button", name="Sign out").click()
            page.wait_for_url(f"{issuer}/**", timeout=30_000)  # the provider's end-session page
            page.get_by_role("button", name="End session").click()
            page.wait_for_url(f"{base}/**", timeout=30_000)
            page.get_by_role("button", name=SIGN_IN).wait_for(timeout=90_000)
            assert NAME not in page.locator("body").inner_text()
            screenshot(page, "signin-3-signed-out")

            # The copied cookies in another browser: the session ended with the sign-out.
            other = page.context.browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US")
            other.add_cookies(copied)
            replay = other.new_page()
            replay.goto(base + "/?lang=en", wait_until="domcontentloaded")
            replay.get_by_text(t("auth.refused.ended", "en")).wait_for(timeout=90_000)
            assert "Executive overview" not in replay.locator("body").inner_text()
            screenshot(replay, "signin-4-replayed-cookie-refused")
            other.close()

            # Another provider account with the admin's e-mail, then an unverified e-mail: refused.
            for subject, reason in ((INTRUDER, "other_subject"), (UNVERIFIED, "unverified")):
                page.goto(base + "/?lang=en", wait_until="domcontentloaded")
                _sign_in_as(page, base, issuer, subject)
                page.get_by_text(t(f"auth.refused.{reason}", "en")).wait_for(timeout=90_000)
                assert "Executive overview" not in page.locator("body").inner_text()
                screenshot(page, f"signin-5-refused-{reason}")
                page.get_by_role("button", name="Sign out").click()
                page.wait_for_url(f"{issuer}/**", timeout=30_000)
                page.get_by_role("button", name="End session").click()
                page.wait_for_url(f"{base}/**", timeout=30_000)
                page.get_by_role("button", name=SIGN_IN).wait_for(timeout=90_000)

            # The admin's own account still signs in after all that.
            _sign_in_as(page, base, issuer, EMAIL)
            page.get_by_role("heading", name="Executive overview").first.wait_for(timeout=90_000)
            assert NAME in page.locator('[data-testid="stSidebar"]').inner_text()
    engine = make_engine(url)
    assert audit_entries(engine, action="user.sign_in", actor=EMAIL)["actor"].tolist() == [EMAIL, EMAIL]
    assert len(audit_entries(engine, action="user.sign_out", actor=EMAIL)) == 1
    assert audit_entries(engine, action="user.bootstrap_admin")["actor"].tolist() == [EMAIL]
    refused = audit_entries(engine, action="user.sign_in_refused")
    reasons = " ".join(refused["detail"].astype(str))
    assert all(r in reasons for r in ("ended", "other_subject", "unverified")), reasons
    assert INTRUDER in reasons
    with engine.connect() as conn:
        bound = conn.execute(select(app_user.c.issuer, app_user.c.subject).where(app_user.c.email == EMAIL)).one()
    assert tuple(bound) == (issuer, EMAIL)
    engine.dispose()


def _sign_in_as(page: Any, base: str, issuer: str, subject: str) -> None:
    """From the sign-in page: to the provider, pick ``subject``'s one-click user, back to the app."""
    page.get_by_role("button", name=SIGN_IN).click()
    page.wait_for_url(f"{issuer}/**", timeout=30_000)
    page.get_by_role("button", name=subject).click()
    page.wait_for_url(f"{base}/**", timeout=30_000)
