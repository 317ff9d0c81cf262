"""A real sign-in (#8): headless Chromium, ``streamlit run`` with an ``[auth]`` section, and a local OpenID
Connect provider (``oidc-provider-mock``) started by the test.

The visitor gets the sign-in page, is sent to the provider, picks the user there, comes back to the overview
with their name and role in the sidebar (the first admin comes from ``CXDASH_ADMIN_EMAILS``), and signs out,
which ends the provider's session and brings them back to the sign-in page. The sign-in and sign-out are in the
audit log. Screenshots: ``test-artifacts/signin-*.png``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser_support import (
    ARTIFACTS,
    chromium_page,
    require_chromium,
    screenshot,
    wait_for_app,
)
from helpers import demo_url

from cxdash.audit import audit_entries
from cxdash.bench import browser as bench_browser
from cxdash.bench.browser import free_port
from cxdash.db import make_engine

EMAIL, NAME = "ada@x.org", "Ada Lovelace"


@contextmanager
def serve_with_sign_in(database_url: str, secrets: Path, port: int) -> Iterator[str]:
    """``streamlit run app.py`` on ``port`` with the secrets file that holds ``[auth]``."""
    with bench_browser.serve_app(database_url, ARTIFACTS / f"streamlit-signin-{port}.log", 90,
                                 env={"CXDASH_ADMIN_EMAILS": EMAIL}, port=port,
                                 extra_args=["--secrets.files", str(secrets)]):
        yield f"http://localhost:{port}"


def test_sign_in_and_out_with_an_openid_connect_provider(tmp_path: Path) -> None:
    require_chromium()
    pytest.importorskip("authlib")
    oidc = pytest.importorskip("oidc_provider_mock")
    db = tmp_path / "signin.db"
    shutil.copy(demo_url().removeprefix("sqlite:///"), db)
    url = f"sqlite:///{db}"
    port = free_port()
    user = oidc.User(sub=EMAIL, claims={"email": EMAIL, "name": NAME})
    with oidc.run_server_in_thread(user_claims=[user]) as provider:
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
            button = page.get_by_role("button", name="Sign in with your company account")
            button.wait_for(timeout=90_000)
            screenshot(page, "signin-1-sign-in-page")
            button.click()
            page.wait_for_url(f"{issuer}/**", timeout=30_000)
            page.get_by_role("button", name=EMAIL).click()  # the provider's one-click predefined user
            page.wait_for_url(f"{base}/**", timeout=30_000)
            wait_for_app(page)
            page.get_by_role("heading", name="Executive overview").first.wait_for(timeout=90_000)
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert NAME in sidebar.inner_text()
            assert "Admin" in sidebar.inner_text()
            screenshot(page, "signin-2-overview-signed-in")

            sidebar.get_by_role("button", name="Sign out").click()
            page.wait_for_url(f"{issuer}/**", timeout=30_000)  # the provider's end-session page
            page.get_by_role("button", name="End session").click()
            page.wait_for_url(f"{base}/**", timeout=30_000)
            page.get_by_role("button", name="Sign in with your company account").wait_for(timeout=90_000)
            assert NAME not in page.locator("body").inner_text()
            screenshot(page, "signin-3-signed-out")
    engine = make_engine(url)
    assert audit_entries(engine, action="user.sign_in", actor=EMAIL)["actor"].tolist() == [EMAIL]
    assert len(audit_entries(engine, action="user.sign_out", actor=EMAIL)) == 1
    assert audit_entries(engine, action="user.bootstrap_admin")["actor"].tolist() == [EMAIL]
    engine.dispose()
