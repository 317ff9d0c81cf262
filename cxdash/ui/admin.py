"""Streamlit helpers of the admin pages (users and roles, audit log): plain-text output and the role check."""

from __future__ import annotations

import streamlit as st

from cxdash.auth import ACTIONS, list_users, reset_identity, save_trusted_issuers, stored_trusted_issuers
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain

__all__ = ["identity_settings", "plain", "require_action", "role_label"]  # plain lives in cxdash.ui.text; kept here for old imports


def require_action(action: str) -> None:
    """Stop the page with a clear message unless the user's role allows ``action`` (checked on the server)."""
    ctx = get_context()
    if action not in ACTIONS.get(ctx.role, frozenset()):
        st.error(tr("shell.error.permission"), icon=":material/lock:")
        st.stop()


def role_label(role: object) -> str:
    """The translated name of a role code."""
    return tr(f"auth.role.{role}")


def identity_settings() -> None:
    """The users page's sign-in section: issuers allowed without ``email_verified``, and resetting the provider
    account a user is bound to (both audited by :mod:`cxdash.auth`)."""
    ctx = get_context()
    st.subheader(tr("auth.identity.title"), help=tr("auth.identity.help"))
    with st.form("identity_issuers"):
        issuers = st.text_area(tr("auth.identity.issuers"), "\n".join(stored_trusted_issuers(ctx.engine)),
                               help=tr("auth.identity.issuers_help"), key="identity_issuers_text")
        if st.form_submit_button(tr("auth.identity.save"), icon=":material/save:"):
            try:
                with ctx.engine.begin() as conn:
                    save_trusted_issuers(conn, ctx.user, issuers.splitlines())
            except ValueError as exc:
                st.error(tr("auth.users.refused", error=plain(exc)), icon=":material/error:")
            else:
                st.success(tr("auth.identity.saved"), icon=":material/check_circle:")
    bound = [u["email"] for u in list_users(ctx.engine) if u["identity"]]
    if not bound:
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    email = c1.selectbox(tr("auth.identity.reset_pick"), bound, key="identity_reset_pick",
                         help=tr("auth.identity.reset_help"))
    if c2.button(tr("auth.identity.reset"), icon=":material/link_off:", key="identity_reset") and email:
        with ctx.engine.begin() as conn:
            reset_identity(conn, ctx.user, email)
        st.success(tr("auth.identity.reset_done", email=plain(email)), icon=":material/check_circle:")
