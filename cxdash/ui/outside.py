"""Using the app's Streamlit-backed layers outside a running app (the benchmark times warm views through them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def cache_outside_app() -> Callable[..., Any]:
    """:func:`cxdash.ui.cache.cached_call`, with Streamlit's log quiet first.

    Outside a running app ``st.cache_data`` keeps its entries in memory and says so when the cached function is
    made and on every call: not news there. The level must be set before :mod:`cxdash.ui.cache` is imported.
    """
    import streamlit.logger

    streamlit.logger.set_log_level("error")
    from cxdash.ui.cache import cached_call  # why: only after the log level is set (see above)

    return cached_call
