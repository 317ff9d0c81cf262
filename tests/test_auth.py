"""Roles, scope and users: the Streamlit-free part of sign-in (#8)."""

import pytest
from sqlalchemy import func, select

from cxdash.audit import audit_entries, now_utc
from cxdash.auth import (
    AuthError,
    SignIn,
    User,
    apply_scope,
    can,
    check_sign_in,
    list_users,
    local_user,
    require,
    resolve_user,
    save_user,
)
from cxdash.filters import Filters
from cxdash.imports.users import import_users_csv
from cxdash.schema import app_user
from tests.world import AUTH


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("admin", "manage_users", True),
        ("admin", "upload", True),
        ("executive", "upload", False),
        ("executive", "edit_plans", False),
        ("cx_lead", "upload", True),
        ("cx_lead", "manage_users", False),
        ("team_lead", "edit_plans", True),
        ("team_lead", "upload", False),
        (None, "edit_plans", False),
    ],
)
def test_role_actions(role, action, allowed):
    user = User("a@x.org", "A", role)
    assert can(user, action) is allowed
    if not allowed:
        with pytest.raises(AuthError):
            require(user, action)


def test_scope_applies_only_to_team_leads():
    f = Filters(site_ids=(5,))
    lead = User("l@x.org", "L", "team_lead", scope_sites=(1,), scope_teams=(10,))
    assert apply_scope(f, lead).scope_sites == (1,)
    assert apply_scope(f, lead).scope_teams == (10,)
    assert apply_scope(f, local_user()).scope_sites is None


def test_save_and_resolve_user(engine):
    with engine.begin() as conn:
        AUTH.org(conn)
        save_user(conn, "admin@x.org", "Lead@X.org", "team_lead", "Li Lei", site_ids=[2], team_ids=[10])
    user = resolve_user(engine, "lead@x.org")
    assert (user.role, user.scope_sites, user.scope_teams) == ("team_lead", (2,), (10,))
    assert resolve_user(engine, "stranger@x.org").role is None
    assert audit_entries(engine, action="user.save")["entity_id"].tolist() == ["lead@x.org"]
    assert list_users(engine)[0]["scope"]


@pytest.mark.parametrize(
    ("email", "role", "sites", "message"),
    [
        ("no-at-sign", "admin", [], "not an e-mail"),
        ("a@x.org", "superuser", [], "unknown role"),
        ("a@x.org", "team_lead", [], "needs at least one site or team"),
    ],
)
def test_save_user_refuses_bad_input(engine, email, role, sites, message):
    with engine.begin() as conn, pytest.raises(ValueError, match=message):
        save_user(conn, "admin@x.org", email, role, site_ids=sites)


def test_configured_admin_is_created_on_first_sign_in(engine, monkeypatch):
    monkeypatch.setenv("CXDASH_ADMIN_EMAILS", "boss@x.org, other@x.org")
    assert resolve_user(engine, "Boss@x.org", "Boss").role is None  # a lookup alone creates nobody (#21)
    sign_in = SignIn("boss@x.org", "Boss", "https://id.example.test", "sub-boss", True, now_utc())
    assert check_sign_in(engine, sign_in).role == "admin"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(app_user)).scalar_one() == 1


def test_bulk_import_is_all_or_nothing(engine):
    with engine.begin() as conn:
        AUTH.org(conn)
    good = b"email,role,name,sites,teams\nexec@x.org,executive,E,,\nlead@x.org,team_lead,L,S1;S2,\n"
    with engine.begin() as conn:
        assert import_users_csv(conn, "admin", good) == 2
    bad = b"email,role,sites\nnew@x.org,cx_lead,\nx@x.org,team_lead,NOPE\n"
    with pytest.raises(ValueError, match="row 3: unknown site 'NOPE'"), engine.begin() as conn:
        import_users_csv(conn, "admin", bad)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(app_user)).scalar_one() == 2
