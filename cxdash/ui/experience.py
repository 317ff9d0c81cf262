"""Streamlit pieces of the tiers and touchpoint-gaps pages: URL state, drill-down navigation, downloads.

The drill-down lives in the URL (``d_stage``, ``d_touchpoint``, ``d_region``, ``d_site``, ``d_team``,
``d_person``, plus ``d_q`` for the comment search and ``d_page``), read on every run with
:meth:`cxdash.metrics.experience.drilldown.DrillState.from_params`, so a pasted link opens the same view. Clicks on charts
and table rows, the "go down to" picker and the breadcrumb all go through :func:`go`, a widget callback that
rewrites those parameters before the next run. View selectors keep stored codes (not translated labels) in
the URL so a link works in every language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from cxdash.formatting import display_frame
from cxdash.metrics.experience.drilldown import PARAM_PREFIX, DrillState
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain
from cxdash.ui.url_state import from_url, to_url  # noqa: F401 - the pages call them as ui.from_url / ui.to_url
from cxdash.ui.widgets import download_buttons
from cxdash.ui.widgets import show_error as frame_show_error

SEARCH_KEY, PAGE_KEY = "d_q", "d_page"


def drill_state() -> DrillState:
    """The drill-down state of the URL."""
    return DrillState.from_params(st.query_params.to_dict())


def go(state: DrillState, view_key: str | None = None, view: str | None = None) -> None:
    """Move the drill-down to ``state`` (a widget callback): rewrite the ``d_*`` URL parameters, reset the
    search and page, and switch the page's view selector to ``view`` if given."""
    for key in [k for k in st.query_params if k.startswith(PARAM_PREFIX)]:
        del st.query_params[key]
    for key, value in state.to_params().items():
        st.query_params[key] = value
    st.session_state[SEARCH_KEY] = ""
    st.session_state[PAGE_KEY] = 1
    for key in [k for k in st.session_state if str(k).startswith("drill_pick_")]:
        del st.session_state[key]  # the pickers start empty at every level
    if view_key and view:
        st.session_state[view_key] = view
        st.query_params[view_key] = view




def picked(state_key: str, field: str) -> Any:
    """The value of ``field`` of the point clicked in the chart whose key is ``state_key`` (None if none)."""
    state: Any = st.session_state.get(state_key)
    try:
        points = state["selection"]["pick"]
    except (KeyError, TypeError):
        return None
    if isinstance(points, list) and points:
        return points[0].get(field)
    return None


def picked_row(state_key: str) -> int | None:
    """The index of the row selected in the dataframe whose key is ``state_key`` (None if none)."""
    state: Any = st.session_state.get(state_key)
    try:
        rows = state.selection.rows
    except AttributeError:
        return None
    return rows[0] if rows else None


def breadcrumb(crumbs: list[tuple[str, DrillState]], view_key: str) -> None:
    """The way back up as a row of buttons; the last crumb (where we are) is shown disabled."""
    # a wrapping row sized to the names: equal columns cut long site names to a few characters
    row = st.container(horizontal=True, wrap=True, gap="small")
    for i, (label, state) in enumerate(crumbs):
        last = i == len(crumbs) - 1
        row.button(f"{plain(label)} ›" if not last else plain(label), key=f"crumb_{i}", disabled=last,
                   on_click=go, args=(state, view_key, "drill"))


def downloads(df: pd.DataFrame, name: str) -> None:
    """CSV and XLSX downloads (formula-escaped) through the frame's shared widget."""
    download_buttons(df, name, "experience.col")


def show_error(exc: Exception) -> None:
    """A translated message instead of a traceback (the frame's widget)."""
    frame_show_error(exc)


def columns_config(columns: Sequence[str], percent: Sequence[str] = (), signed: Sequence[str] = (),
                   help_keys: dict[str, str] | None = None) -> dict[str, Any]:
    """Translated column headers (``experience.col.<name>``) with help for the metric columns.

    The figures themselves are written by :func:`shown` (one formatter per kind, :mod:`cxdash.formatting`), so
    ``percent`` and ``signed`` only name the kinds a caller expects; they are kept for the callers' sake.
    """
    helps = help_keys or {}
    cfg: dict[str, Any] = {}
    for c in columns:
        label, hlp = tr(f"experience.col.{c}"), tr(helps[c]) if c in helps else None
        if c == "comment":
            cfg[c] = st.column_config.TextColumn(label, width="large", help=hlp)
        else:
            cfg[c] = st.column_config.Column(label, help=hlp)
    return cfg


def shown(df: pd.DataFrame, kinds: dict[str, str | None] | None = None) -> pd.DataFrame:
    """``df`` as display text in the current language: counts, percents, gaps, p-values and dates each by their
    one formatter, missing values as "–" (:func:`cxdash.formatting.display_frame`)."""
    return display_frame(df, get_context().lang, kinds)
