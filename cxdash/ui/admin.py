"""Streamlit helpers of the admin pages (users and roles, audit log): plain-text output and the role check."""

from __future__ import annotations

import streamlit as st

from cxdash.auth import ACTIONS
from cxdash.ui.context import get_context, tr

# Markdown would turn these into links, emphasis, code, HTML-looking text or icons; escaped, they show as typed.
_MARKDOWN = frozenset("\\`*_{}[]()<>#+-.!|~:$=")


def plain(text: object, limit: int = 300) -> str:
    """``text`` escaped for Markdown so it shows literally (user input, e-mails, error messages); cut at ``limit``."""
    value = str(text)
    cut = value[:limit] + ("…" if len(value) > limit else "")
    return "".join("\\" + ch if ch in _MARKDOWN else ch for ch in cut)


def require_action(action: str) -> None:
    """Stop the page with a clear message unless the user's role allows ``action`` (checked on the server)."""
    ctx = get_context()
    if action not in ACTIONS.get(ctx.role, frozenset()):
        st.error(tr("shell.error.permission"), icon=":material/lock:")
        st.stop()


def role_label(role: object) -> str:
    """The translated name of a role code."""
    return tr(f"auth.role.{role}")
