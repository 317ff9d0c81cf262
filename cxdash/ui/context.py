"""What every page needs from the frame (app.py): the engine, the language, the filters and the user.

``app.py`` builds a :class:`PageContext` on every rerun and stores it with :func:`set_context`; pages call
:func:`get_context` and :func:`tr` instead of reading session state themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine

from cxdash.filters import Filters
from cxdash.i18n import t

_KEY = "_cxdash_context"


@dataclass(frozen=True)
class PageContext:
    """The frame's state for one rerun."""

    engine: Engine
    db_key: str  # the database URL without password: part of every cache key
    lang: str
    filters: Filters
    role: str = "admin"
    user: str = "local"


def set_context(ctx: PageContext) -> None:
    """Store the context for the page that runs next."""
    st.session_state[_KEY] = ctx


def get_context() -> PageContext:
    """Return the context the frame set for this rerun.

    A page can run without the frame once: Streamlit's multipage "v1" mode runs a script of a ``pages/`` folder
    beside the entry script directly, before ``app.py`` has called ``st.navigation``. The pages live in
    ``ui/pages/`` so that never happens; should a page still run first, it switches that mode off and reruns, so
    the frame (language, filters, roles) always runs first.
    """
    if _KEY not in st.session_state:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    return st.session_state[_KEY]


def tr(key: str, **kwargs: object) -> str:
    """Translate ``key`` into the current language."""
    ctx = st.session_state.get(_KEY)
    return t(key, ctx.lang if ctx else "en", **kwargs)


def current_lang() -> str:
    """The current page's language (English before the frame has run)."""
    ctx = st.session_state.get(_KEY)
    return ctx.lang if ctx else "en"
