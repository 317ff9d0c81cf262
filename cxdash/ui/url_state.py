"""Widget state kept in the URL as codes, so a copied link opens the same view in any language.

Not ``bind="query-params"``: in Streamlit 1.67 that writes a widget's displayed (translated) label into the URL.
Instead the URL seeds a widget once per session and the page writes the current code back on every run, leaving
out values at their default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st


def from_url(key: str, options: Sequence[Any] | None, default: Any, cast: Callable[[str], Any] = str) -> None:
    """Seed a widget's session state from the URL once per session (a shared link), else with ``default``."""
    if key in st.session_state:
        return
    raw = st.query_params.get(key)
    value = default
    if raw is not None:
        try:
            value = cast(raw)
        except (TypeError, ValueError):
            value = default
        if options is not None and value not in options:
            value = default
    st.session_state[key] = value


def url_value(key: str, value: object | None) -> None:
    """Write ``value`` to the URL parameter ``key`` when it changed; None removes it."""
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != str(value):
        st.query_params[key] = str(value)


def to_url(defaults: dict[str, Any]) -> None:
    """Write the widgets' current values to the URL (codes, not labels), dropping those at their default."""
    for key, default in defaults.items():
        value = st.session_state.get(key, default)
        url_value(key, None if value in (None, "", default) else value)
