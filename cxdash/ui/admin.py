"""Streamlit helpers of the admin pages (users and roles, audit log): plain-text output and the role check."""

from __future__ import annotations

import streamlit as st

from cxdash.auth import ACTIONS
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain

__all__ = ["plain", "require_action", "role_label"]  # plain lives in cxdash.ui.text; kept here for old imports


def require_action(action: str) -> None:
    """Stop the page with a clear message unless the user's role allows ``action`` (checked on the server)."""
    ctx = get_context()
    if action not in ACTIONS.get(ctx.role, frozenset()):
        st.error(tr("shell.error.permission"), icon=":material/lock:")
        st.stop()


def role_label(role: object) -> str:
    """The translated name of a role code."""
    return tr(f"auth.role.{role}")
