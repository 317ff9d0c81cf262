"""Roles in the running app (#8): role x page x action, in AppTest with ``at.user`` and an ``[auth]`` section.

Each role sees only its pages in the menu; a page's URL opened by hand (``switch_page``) that the role may not
open is refused by the frame before the page runs; the actions inside pages (settings forms, plan and inspection
forms, uploads, user management) appear only for the roles allowed them. Also: the sign-in page, the "no role
yet" page, sign-in auditing, the user box with sign-out, the first admin from configuration, local mode's
banner and its refusal on a network address. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import streamlit

from cxdash.audit import audit_entries
from cxdash.db import make_engine
from cxdash.i18n import t
from cxdash.ui.frame import ALLOW_LOCAL_ENV, existing_pages, local_mode_refused
from cxdash.ui.navigation import PageSpec
from cxdash.ui.text import plain
from tests.support.app import make_app, no_errors
from tests.support.auth import (
    ROLE_USERS,
    all_text,
    no_pages_directory_mode,
    private_database,
    scoped_database,
    signed_in_app,
)
from tests.support.pg import BACKENDS

ROLES = tuple(ROLE_USERS)
PAGES = existing_pages()


@pytest.fixture(scope="module", params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo database with one user per role, on each backend."""
    pg = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    with private_database(request.param, tmp_path_factory.mktemp("roles"), pg, "roles") as url:
        scoped_database(url)
        yield url


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clicks reach the app (see :func:`tests.support.auth.no_pages_directory_mode`)."""
    no_pages_directory_mode(monkeypatch)


def _script(spec: PageSpec) -> str:
    return f"ui/pages/{spec.script}"


def _refusal(spec: PageSpec, role: str) -> str:
    return t("auth.refused", "en", page=t(spec.title_key, "en"), role=t(f"auth.role.{role}", "en"))


@pytest.mark.apptest
@pytest.mark.parametrize("role", ROLES)
def test_menu_shows_each_role_only_its_pages(db: str, role: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, str] = {}
    real = streamlit.navigation

    def spy(pages: Any, **kwargs: Any) -> Any:
        for section in pages.values():
            for page in section:
                # The default page (served at "/") comes first; its hidden twin answers "/overview".
                seen.setdefault(page.url_path or "overview", page.visibility)
        return real(pages, **kwargs)

    monkeypatch.setattr(streamlit, "navigation", spy)
    at = signed_in_app(db, ROLE_USERS[role])
    at.run()
    no_errors(at)
    visible = {k for k, v in seen.items() if v == "visible"}
    assert visible == {p.url_path for p in PAGES if role in p.roles}
    assert set(seen) == {p.url_path for p in PAGES}  # the rest are registered hidden, to be refused by URL


@pytest.mark.apptest
@pytest.mark.parametrize("role", ROLES)
def test_role_page_matrix(db: str, role: str) -> None:
    """Every page for every role: allowed pages run and show their title; the others are refused by URL."""
    at = signed_in_app(db, ROLE_USERS[role], clear=role == ROLES[0])
    at.run()
    for spec in PAGES:
        at.switch_page(_script(spec))
        at.run()
        assert not at.exception, (spec.url_path, [e.value for e in at.exception])
        titles = [x.value for x in at.title]
        if role in spec.roles:
            assert titles and titles[0] == t(spec.title_key, "en"), (role, spec.url_path)
            assert not [e for e in at.error if e.value == _refusal(spec, role)]
        else:
            assert [e.value for e in at.error] == [_refusal(spec, role)], (role, spec.url_path)
            assert not titles, "the refused page must not run"
            assert not at.dataframe and not at.file_uploader


# (page, URL parameters, what the action leaves in the page, roles allowed the action)
ACTIONS = [
    ("tiers", {}, 'form_id: "tolerance_form"', {"admin", "cx_lead"}),
    ("drivers", {}, 'form_id: "churn_definition"', {"admin", "cx_lead"}),
    ("action-plans", {"plan_view": "create"}, 'form_id: "plan_form"', {"admin", "cx_lead", "team_lead"}),
    ("inspections", {"insp_view": "record"}, 'form_id: "inspection_form"', {"admin", "cx_lead", "team_lead"}),
    ("upload", {}, "imp_kind", {"admin", "cx_lead"}),
    ("users", {}, 'form_id: "users_form"', {"admin"}),
    ("audit", {}, "audit_actor", {"admin"}),
]


@pytest.mark.apptest
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("url_path", "params", "marker", "allowed"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_role_actions(db: str, role: str, url_path: str, params: dict, marker: str, allowed: set[str]) -> None:
    spec = next(p for p in PAGES if p.url_path == url_path)
    at = signed_in_app(db, ROLE_USERS[role], params=params, clear=False)
    at.run()
    at.switch_page(_script(spec))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = all_text(at)
    assert (marker in text) is (role in allowed), (role, url_path)


@pytest.mark.apptest
def test_signed_out_visitor_gets_the_sign_in_page(db: str) -> None:
    at = signed_in_app(db, None)
    at.run()
    no_errors(at)
    assert at.title[0].value == t("auth.signin.title", "en")
    assert at.button(key="auth_sign_in").label == t("auth.signin.button", "en")
    assert not at.dataframe and not at.metric
    at.switch_page("ui/pages/users.py")  # a page URL before signing in shows the sign-in page too
    at.run()
    assert at.title[0].value == t("auth.signin.title", "en") and not at.dataframe


@pytest.mark.apptest
@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
def test_user_without_role_is_told_to_ask_an_admin(db: str, lang: str) -> None:
    at = signed_in_app(db, "Newcomer@X.org", "New Comer", lang=lang)
    at.run()
    assert not at.exception
    assert at.title[0].value == t("auth.norole.title", lang)
    assert at.warning[0].value == t("auth.norole.body", lang, email=plain("newcomer@x.org"))
    assert at.button(key="auth_sign_out")
    assert not at.dataframe and not at.metric and not at.error


@pytest.mark.apptest
def test_sign_in_is_audited_once_per_session_and_the_sidebar_shows_the_user(db: str, interactive: None) -> None:
    engine = make_engine(db)
    before = len(audit_entries(engine, action="user.sign_in", actor="exec@x.org"))
    at = signed_in_app(db, "exec@x.org", "Eve Exec", clear=False)
    at.run()
    at.run()
    no_errors(at)
    assert len(audit_entries(engine, action="user.sign_in", actor="exec@x.org")) == before + 1
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "Eve Exec" in sidebar and t("auth.role.executive", "en") in sidebar
    assert at.sidebar.button(key="auth_sign_out").label == t("auth.sign_out", "en")
    at.sidebar.button(key="auth_sign_out").click().run()
    assert at.user == {"is_logged_in": False}  # st.logout ran
    assert len(audit_entries(engine, action="user.sign_out", actor="exec@x.org")) >= 1
    engine.dispose()


@pytest.mark.apptest
def test_first_admin_comes_from_configuration(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXDASH_ADMIN_EMAILS", "boss@x.org")
    at = signed_in_app(db, "boss@x.org", "The Boss", clear=False)
    at.run()
    at.switch_page("ui/pages/users.py")
    at.run()
    no_errors(at)
    assert at.title[0].value == t("auth.page.users", "en")
    engine = make_engine(db)
    assert audit_entries(engine, action="user.bootstrap_admin")["actor"].tolist() == ["boss@x.org"]
    engine.dispose()


@pytest.mark.apptest
def test_local_mode_is_one_admin_with_a_banner(db: str) -> None:
    at = make_app("en", db)
    at.run()
    no_errors(at)
    assert t("auth.local.badge", "en") in at.markdown[0].value
    at.switch_page("ui/pages/users.py")
    at.run()
    no_errors(at)
    assert at.title[0].value == t("auth.page.users", "en")


@pytest.mark.parametrize(
    ("flag", "address", "refused"),
    [("", "0.0.0.0", True), ("1", "0.0.0.0", False), ("", "", True), ("true", "", False), ("", "127.0.0.1", False),
     ("", "localhost", False), ("", "::1", False), ("", "127.0.0.2", False), ("", "192.168.1.20", True),
     ("yes", "192.168.1.20", False), ("0", "192.168.1.20", True)],
)
def test_local_mode_on_a_network_address_is_refused_unless_allowed(
        monkeypatch: pytest.MonkeyPatch, flag: str, address: str, refused: bool) -> None:
    monkeypatch.setenv(ALLOW_LOCAL_ENV, flag)
    assert local_mode_refused(address) is refused


@pytest.mark.apptest
@pytest.mark.parametrize("allowed", [False, True])
def test_local_mode_refuses_to_serve_on_a_network_address(db: str, monkeypatch: pytest.MonkeyPatch,
                                                         allowed: bool) -> None:
    from streamlit import config

    monkeypatch.setenv(ALLOW_LOCAL_ENV, "1" if allowed else "")
    old = config.get_option("server.address")
    config._set_option("server.address", "0.0.0.0", "test")
    try:
        at = make_app("en", db)
        at.run()
    finally:
        config._set_option("server.address", old, "test")
    if allowed:
        no_errors(at)
        assert t("auth.local.badge", "en") in at.markdown[0].value
        return
    assert [e.value for e in at.error] == [t("auth.local.refused", "en", env=ALLOW_LOCAL_ENV)]
    assert not at.metric and not at.dataframe and not at.title


@pytest.mark.apptest
def test_admin_page_saves_users_and_audits_every_change(db: str, interactive: None) -> None:
    at = signed_in_app(db, ROLE_USERS["admin"], "Ada Admin", clear=False)
    at.run()
    at.switch_page("ui/pages/users.py")
    at.run()
    at.text_input(key="users_email").set_value("New.Exec@x.org")
    at.selectbox(key="users_role").set_value("executive")
    next(b for b in at.button if b.label == t("auth.users.save", "en")).click().run()
    no_errors(at)
    assert at.success[0].value == t("auth.users.saved", "en", email=plain("new.exec@x.org"))
    engine = make_engine(db)
    assert "new.exec@x.org" in audit_entries(engine, action="user.save")["entity_id"].tolist()
    # An admin may not take away their own admin role.
    at.selectbox(key="users_pick").set_value(ROLE_USERS["admin"]).run()
    at.selectbox(key="users_role").set_value("executive")
    next(b for b in at.button if b.label == t("auth.users.save", "en")).click().run()
    assert at.error and t("auth.users.self", "en") in at.error[0].value
    engine.dispose()


@pytest.mark.apptest
def test_admin_page_imports_users_from_csv(db: str, interactive: None) -> None:
    at = signed_in_app(db, ROLE_USERS["admin"], "Ada Admin", clear=False)
    at.run()
    at.switch_page("ui/pages/users.py")
    at.run()
    at.file_uploader(key="users_csv").upload("people.csv", b"email,role,name\nbulk1@x.org,executive,Bulk One\n"
                                                          b"bulk2@x.org,cx_lead,Bulk Two\n", "text/csv").run()
    at.button(key="users_import").click().run()
    no_errors(at)
    assert at.success[0].value == t("auth.users.imported", "en", n=2)
    engine = make_engine(db)
    assert audit_entries(engine, action="user.import")["detail"].str.contains("people.csv").any()
    engine.dispose()


@pytest.mark.apptest
def test_audit_page_filters_and_downloads(db: str, interactive: None) -> None:
    at = signed_in_app(db, ROLE_USERS["admin"], "Ada Admin", clear=False)
    at.run()
    at.switch_page("ui/pages/audit.py")
    at.run()
    no_errors(at)
    at.date_input(key="audit_from").set_value(__import__("datetime").date(2000, 1, 1))
    at.text_input(key="audit_actor").set_value("setup").run()
    no_errors(at)
    frame = at.dataframe[0].value
    assert set(frame["actor"]) == {"setup"} and len(frame) >= 5
    assert at.get("download_button")
