"""Hostile input (#8): SQL fragments, HTML and script, formula prefixes, path traversal and oversized values
through every filter and query parameter, the sign-in claims, the admin forms and the uploads change nothing,
run nothing, and show as plain text.

"Changes nothing" is checked by counting the rows of the data tables and listing the tables before and after;
"plain text" by asserting that no Markdown element that carries a payload may render HTML, and that payloads
in Markdown are escaped (no live link, emphasis or HTML); "runs nothing" by the database still answering.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select

from cxdash.audit import audit_entries, record_audit
from cxdash.auth import resolve_user, save_user
from cxdash.db import make_engine
from cxdash.i18n import t
from cxdash.schema import app_user, audit_log, survey_response, ticket, user_scope
from tests.support.app import make_app
from tests.support.auth import (
    ROLE_USERS,
    Downloads,
    file_text,
    no_pages_directory_mode,
    private_database,
    scoped_database,
    signed_in_app,
)

SQL = ["1; DROP TABLE survey_response;--", "' OR '1'='1", "%' OR 1=1 --", "1 UNION SELECT email FROM app_user"]
HTML = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))", "**bold**"]
FORMULA = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]
PATHS = ["../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd"]
BIG = ["A" * 100_000, "9" * 400, "9999-99-99", "-1", "0"]
HOSTILE = SQL + HTML + FORMULA + PATHS + BIG
PARAMS = ("lang", "from", "to", "region", "site", "team", "channel", "segment", "d_stage", "d_touchpoint",
          "d_region", "d_site", "d_team", "d_person", "d_q", "d_page", "tp_view", "plan_view", "detail_plan",
          "insp_view", "tier_by", "cmp_by", "cmp_key")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The two-scope demo database with users (SQLite)."""
    with private_database("sqlite", tmp_path_factory.mktemp("hostile"), None, "hostile") as url:
        scoped_database(url)
        yield url


def _state(url: str) -> tuple:
    engine = make_engine(url)
    with engine.connect() as conn:
        counts = tuple(conn.execute(select(func.count()).select_from(tbl)).scalar_one()
                       for tbl in (survey_response, ticket, app_user, user_scope))
        tables = tuple(sorted(inspect(conn).get_table_names()))
    engine.dispose()
    return counts, tables


def _markdown_is_plain(at: Any, payloads: list[str]) -> None:
    """No drawn Markdown carrying a payload may allow HTML, and none may contain a payload unescaped."""
    for md in [*at.markdown, *at.caption, *at.error, *at.warning, *at.success, *at.info]:
        body = md.proto.markdown.body if hasattr(md.proto, "markdown") else str(getattr(md, "value", ""))
        allow_html = getattr(getattr(md.proto, "markdown", None), "allow_html", False)
        for p in payloads:
            if p[:40] in body:
                assert not allow_html, body[:200]
                assert p not in HTML, f"payload drawn as live Markdown: {body[:200]}"


@pytest.mark.apptest
@pytest.mark.parametrize("payload", HOSTILE, ids=lambda p: p[:24])
def test_query_parameters_and_filters(db: str, payload: str) -> None:
    before = _state(db)
    at = make_app("en", db, params=dict.fromkeys(PARAMS, payload))
    at.run()
    for script in ("ui/pages/overview.py", "ui/pages/touchpoints.py", "ui/pages/action_plans.py", "ui/pages/inspections.py"):
        at.switch_page(script)
        at.run()
        assert not at.exception, (script, [e.value for e in at.exception])
        _markdown_is_plain(at, [payload])
    assert _state(db) == before


@pytest.mark.apptest
@pytest.mark.parametrize("payload", SQL + HTML + FORMULA, ids=lambda p: p[:24])
def test_sign_in_claims_are_plain_text(db: str, payload: str) -> None:
    before = _state(db)
    at = signed_in_app(db, ROLE_USERS["admin"], name=payload, clear=False)
    at.run()
    assert not at.exception
    box = " ".join(m.value for m in at.sidebar.markdown)
    assert payload not in box or payload.isalnum()  # escaped: every Markdown character carries a backslash
    at = signed_in_app(db, f"{payload}@x.org", name=payload, clear=False)  # not an address of anyone with a role
    at.run()
    assert not at.exception and not at.dataframe and not at.metric
    _markdown_is_plain(at, [payload])
    assert _state(db) == before


@pytest.fixture
def admin_page(db: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The users page, signed in as the admin, with working clicks."""
    no_pages_directory_mode(monkeypatch)
    at = signed_in_app(db, ROLE_USERS["admin"], "Ada Admin", clear=False)
    at.run()
    at.switch_page("ui/pages/users.py")
    at.run()
    return at


@pytest.mark.apptest
@pytest.mark.parametrize("payload", SQL + HTML + PATHS + ["A" * 400], ids=lambda p: p[:24])
def test_admin_form_refuses_bad_addresses_and_shows_them_as_text(db: str, admin_page: Any, payload: str) -> None:
    before = _state(db)
    at = admin_page
    at.text_input(key="users_email").set_value(payload)
    next(b for b in at.button if b.label == t("auth.users.save", "en")).click().run()
    assert not at.exception
    assert at.error and at.error[0].value.startswith("Not saved:")
    _markdown_is_plain(at, [payload])
    assert _state(db) == before


@pytest.mark.apptest
def test_formula_names_are_stored_as_text_and_escaped_in_downloads(db: str, admin_page: Any) -> None:
    at = admin_page
    at.text_input(key="users_email").set_value("formula@x.org")
    at.text_input(key="users_name").set_value(FORMULA[0])
    next(b for b in at.button if b.label == t("auth.users.save", "en")).click().run()
    assert not at.error
    assert FORMULA[0] in at.dataframe[0].value["name"].tolist()  # the table shows it as typed
    engine = make_engine(db)
    with engine.begin() as conn:
        record_audit(conn, FORMULA[1], "test.formula", "user", FORMULA[0], {"note": FORMULA[2]})
    engine.dispose()
    at.switch_page("ui/pages/audit.py")
    at.run()
    with Downloads() as downloads:
        at.text_input(key="audit_actor").set_value(FORMULA[1][:8]).run()
    csv = next(file_text(d) for name, d in downloads.files.items() if name.endswith(".csv"))
    assert "'+cmd" in csv and "'=HYPERLINK" in csv  # a spreadsheet shows text instead of running it


@pytest.mark.apptest
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("../../etc/passwd.csv", b"email,role\nok1@x.org,executive\n", None),
        ("..\\..\\x.csv", b"email,role\n<script>@x.org,admin\n", "row 2"),
        ("evil.csv", b"email,role\n'; DROP TABLE app_user;--@x.org,admin\n", "row 2"),
        ("evil.csv", b"email,role,name\nok2@x.org,executive,=HYPERLINK(\"x\")\n", None),
        ("evil.csv", b"email,role\nok3@x.org,superuser\n", "unknown role"),
        ("evil.csv", b"email,role\nok4@x.org,team_lead\n", "needs at least one site"),
        ("evil.csv", b"\xff\xfe\x00garbage", None),
        ("big.csv", b"email,role\n" + b"x" * (3 * 1024 * 1024), None),
    ],
    ids=["traversal-name", "script-email", "sql-email", "formula-name", "bad-role", "lead-no-scope", "binary", "3MB"],
)
def test_user_csv_uploads(db: str, admin_page: Any, name: str, content: bytes, message: str | None) -> None:
    before_files = set(Path("/etc").iterdir()) if Path("/etc").exists() else set()
    at = admin_page
    at.file_uploader(key="users_csv").upload(name, content, "text/csv").run()
    if any(b.key == "users_import" for b in at.button):
        at.button(key="users_import").click().run()
    assert not at.exception
    if message:
        assert at.error and message in at.error[0].value.replace("\\", "")
    _markdown_is_plain(at, ["<script>", "DROP TABLE"])
    assert (set(Path("/etc").iterdir()) if Path("/etc").exists() else set()) == before_files
    engine = make_engine(db)
    assert "app_user" in inspect(engine).get_table_names()
    details = audit_entries(engine, action="user.import")["detail"].tolist()
    engine.dispose()
    assert all(".." not in d or "file" in d for d in details)  # the name is recorded as text, never opened


def test_hostile_values_in_the_auth_layer(engine: Any) -> None:
    """Straight into the query layer on SQLite and PostgreSQL: bound parameters, nothing runs."""
    for payload in SQL + HTML:
        assert resolve_user(engine, payload + "@x.org").role is None
        assert audit_entries(engine, actor=payload).empty
        assert audit_entries(engine, action=payload).empty
    with engine.begin() as conn:
        save_user(conn, "admin@x.org", "ok@x.org", "executive", name=FORMULA[0] + HTML[0])
    with pytest.raises(ValueError), engine.begin() as conn:
        save_user(conn, "admin@x.org", "ok@x.org", "executive", name="A" * 201)
    with engine.connect() as conn:
        assert conn.execute(select(app_user.c.name)).scalar_one() == FORMULA[0] + HTML[0]
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == 1
