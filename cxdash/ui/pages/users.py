"""Users and roles (Administration; admin only): who may sign in, with which role and, for team leads, which scope.

Users are added or edited by e-mail (as the identity provider sends it) or in bulk from a CSV file; every change
goes through :mod:`cxdash.auth` in one transaction and is written to the audit log.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cxdash.audit import record_audit
from cxdash.auth import ROLES, save_user, user_record
from cxdash.formatting import display_frame
from cxdash.imports.users import import_users_csv
from cxdash.ui.admin import identity_settings, plain, require_action, role_label
from cxdash.ui.context import get_context, tr
from cxdash.views.users import users_view

MAX_CSV_MB = 2
TEMPLATE = "email,role,name,sites,teams\nexec@example.com,executive,Wang Fang,,\nlead@example.com,team_lead,Li Lei,S01;S02,\n"
NEW = ""
_FLASH = "users_flash"
FIELDS = ("users_email", "users_name", "users_role", "users_sites", "users_teams", "users_active")

ctx = get_context()
st.title(tr("auth.page.users"))
require_action("manage_users")
st.caption(tr("auth.users.intro"))
flash = st.session_state.pop(_FLASH, None)
if flash:
    st.success(flash, icon=":material/check_circle:")

view = users_view(ctx.engine, ctx.filters, ctx.lang)
users = view.users
st.subheader(tr("auth.users.list"), help=tr("auth.users.roles_help"))
if users:
    table = pd.DataFrame(users)
    table["role"] = table["role"].map(role_label)
    st.dataframe(display_frame(table, ctx.lang), hide_index=True, width="stretch",
                 column_config={c: tr(f"auth.users.col.{c}") for c in table.columns})
else:
    st.info(tr("auth.users.none"), icon=":material/group_off:")


def _load(email: str) -> None:
    """Fill the form with a stored user (or empty it for a new one)."""
    record = user_record(ctx.engine, email) if email else None
    record = record or {"email": "", "name": "", "role": "executive", "active": True, "site_ids": [], "team_ids": []}
    values = (record["email"], record["name"], record["role"], record["site_ids"], record["team_ids"],
              record["active"])
    st.session_state.update(dict(zip(FIELDS, values, strict=True)))


if "users_email" not in st.session_state:
    _load(NEW)
st.subheader(tr("auth.users.edit"))
emails = [u["email"] for u in users]
st.selectbox(tr("auth.users.pick"), [NEW, *emails], key="users_pick",
             format_func=lambda e: e or tr("auth.users.new"),
             on_change=lambda: _load(st.session_state["users_pick"]))
sites, teams = view.sites, view.teams
with st.form("users_form"):
    st.text_input(tr("auth.users.email"), key="users_email", max_chars=320)
    st.text_input(tr("auth.users.name"), key="users_name", max_chars=200)
    st.selectbox(tr("auth.users.role"), ROLES, key="users_role", format_func=role_label,
                 help=tr("auth.users.roles_help"))
    st.multiselect(tr("auth.users.sites"), list(sites), key="users_sites", format_func=sites.__getitem__,
                   help=tr("auth.users.scope_help"))
    st.multiselect(tr("auth.users.teams"), list(teams), key="users_teams", format_func=teams.__getitem__,
                   help=tr("auth.users.scope_help"))
    st.checkbox(tr("auth.users.active"), key="users_active")
    submitted = st.form_submit_button(tr("auth.users.save"), type="primary", icon=":material/save:")
if submitted:
    s = st.session_state
    email = str(s["users_email"]).strip().lower()
    try:
        with ctx.engine.begin() as conn:
            save_user(conn, ctx.user, email, s["users_role"], str(s["users_name"]).strip() or None,
                      [int(i) for i in s["users_sites"]], [int(i) for i in s["users_teams"]],
                      bool(s["users_active"]))
    except ValueError as exc:
        text = tr("auth.users.self") if "your own admin role" in str(exc) else plain(exc)
        st.error(tr("auth.users.refused", error=text), icon=":material/error:")
    else:
        st.session_state[_FLASH] = tr("auth.users.saved", email=plain(email))
        st.rerun()

st.subheader(tr("auth.users.bulk"), help=tr("auth.users.bulk_help"))
st.caption(tr("auth.users.bulk_help"))
st.download_button(tr("auth.users.template"), TEMPLATE.encode("utf-8"), file_name="users-template.csv",
                   mime="text/csv", icon=":material/download:", on_click="ignore", key="users_template")
upload = st.file_uploader(tr("auth.users.file"), type=["csv"], key="users_csv", max_upload_size=MAX_CSV_MB)
if upload is not None and st.button(tr("auth.users.import"), icon=":material/group_add:", key="users_import"):
    content = upload.getvalue()
    if len(content) > MAX_CSV_MB * 1024 * 1024:
        st.error(tr("auth.users.too_big", mb=MAX_CSV_MB), icon=":material/error:")
    else:
        try:
            with ctx.engine.begin() as conn:
                n = import_users_csv(conn, ctx.user, content)
                # The file name is only recorded (never used as a path); each row was audited by save_user.
                record_audit(conn, ctx.user, "user.import", "user", None, {"file": upload.name[:200], "rows": n})
        except (ValueError, UnicodeDecodeError) as exc:
            st.error(tr("auth.users.refused", error=plain(exc)), icon=":material/error:")
        else:
            st.session_state[_FLASH] = tr("auth.users.imported", n=n)
            st.rerun()

identity_settings()  # who may sign in without a verified e-mail; resetting a bound provider account
