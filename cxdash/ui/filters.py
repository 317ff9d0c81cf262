"""The sidebar's language switch and global filters, kept in the URL so a copied link opens the same view.

URL parameters (the same names as the CLI's options): ``lang``, ``from``, ``to`` (ISO dates), ``region``,
``site``, ``team`` (ids, repeated for several), ``channel``, ``segment`` (stored codes, repeated).

Why not ``bind="query-params"``: in Streamlit 1.67 a bound multiselect or selectbox writes its *displayed*
label into the URL (``?region=华东``, ``?lang=简体中文``), so a link would depend on the language it was made
in and team names (which repeat across sites) would collide. Instead each widget is seeded from the URL once
per session and the frame writes the current values back on every run (language-independent ids and codes);
values equal to their default are left out, as ``bind`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import streamlit as st

from cxdash.auth import User, visible_units
from cxdash.code_labels import code_label
from cxdash.filters import Filters, default_date_range, parse_ids
from cxdash.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language
from cxdash.organisation import (
    channel_options,
    data_span,
    region_options,
    segment_options,
    site_options,
    team_options,
)
from cxdash.ui.cache import cached
from cxdash.ui.context import tr
from cxdash.ui.text import plain

LANG_KEY = "ui_lang"
# URL parameter -> session-state key of its widget.
KEYS = {"from": "flt_from", "to": "flt_to", "region": "flt_region", "site": "flt_site", "team": "flt_team",
        "channel": "flt_channel", "segment": "flt_segment"}
MULTI_INT = ("region", "site", "team")
MULTI_TEXT = ("channel", "segment")


def current_language() -> str:
    """The chosen language: the switch's value, seeded from ``?lang=`` on the session's first run."""
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = normalise_language(st.query_params.get("lang"))
    return st.session_state[LANG_KEY]


def language_switch() -> str:
    """The English / 简体中文 / 繁體中文 switch in the sidebar; returns the language code and keeps it in the URL."""
    current_language()
    # A select box, not buttons: three language names side by side do not fit the sidebar's width.
    st.sidebar.selectbox(f":material/translate: {tr('shell.language')}", list(LANGUAGES),
                         format_func=LANGUAGES.__getitem__, key=LANG_KEY)
    lang = st.session_state[LANG_KEY]
    _write_param("lang", [] if lang == DEFAULT_LANGUAGE else [lang])
    return lang


def default_range(latest: date | None) -> tuple[date, date]:
    """The default date range, ending today (:func:`cxdash.filters.default_date_range`)."""
    return default_date_range(latest)


def _parse_date(values: Sequence[str]) -> date | None:
    try:
        return date.fromisoformat(values[-1]) if values else None
    except ValueError:
        return None


def _seed(defaults: tuple[date, date]) -> None:
    """Put the URL's values into the widgets' state on the session's first run (a shared link)."""
    for param, key in KEYS.items():
        if key in st.session_state:
            continue
        raw = st.query_params.get_all(param)
        if param in ("from", "to"):
            st.session_state[key] = _parse_date(raw) or defaults[0 if param == "from" else 1]
        elif param in MULTI_INT:
            st.session_state[key] = list(parse_ids(raw))
        else:
            st.session_state[key] = [v for v in raw if v]


def _write_param(param: str, values: list[str]) -> None:
    """Set (or remove) one URL parameter, only when it changes."""
    if st.query_params.get_all(param) == values:
        return
    if values:
        st.query_params[param] = values
    elif param in st.query_params:
        del st.query_params[param]


def _code_label(kind: str, lang: str) -> Callable[[str], str]:
    """A stored channel or segment code by its name in ``lang`` (:func:`cxdash.code_labels.code_label`)."""
    return lambda code: code_label(kind, code, lang)


def _multiselect(param: str, options: list[Any], labels: Callable[[Any], str]) -> list[Any]:
    key = KEYS[param]
    kept = [v for v in st.session_state.get(key, []) if v in options]  # e.g. a site outside the chosen regions
    if kept != st.session_state.get(key):
        st.session_state[key] = kept
    st.sidebar.multiselect(tr(f"shell.filters.{param}"), options, format_func=labels, key=key,
                           placeholder=tr("shell.filters.all"))
    return list(st.session_state[key])


def _reset(defaults: tuple[date, date]) -> None:
    st.session_state[KEYS["from"]], st.session_state[KEYS["to"]] = defaults
    for param in (*MULTI_INT, *MULTI_TEXT):
        st.session_state[KEYS[param]] = []


def _dates(defaults: tuple[date, date]) -> tuple[date, date]:
    # One above the other: side by side, the sidebar is too narrow to show a whole date.
    st.sidebar.date_input(tr("shell.filters.from"), key=KEYS["from"], help=tr("shell.filters.dates_help"),
                          format="YYYY-MM-DD")
    st.sidebar.date_input(tr("shell.filters.to"), key=KEYS["to"], format="YYYY-MM-DD")
    start, end = st.session_state[KEYS["from"]] or defaults[0], st.session_state[KEYS["to"]] or defaults[1]
    if start > end:
        st.sidebar.caption(f":orange[{tr('shell.filters.swapped')}]")
        start, end = end, start
    return start, end


def _visible(options: dict[int, str], visible: tuple[frozenset[int], ...] | None, level: int) -> dict[int, str]:
    """Keep only the units of a scoped user's scope (``level``: 0 regions, 1 sites, 2 teams)."""
    return options if visible is None else {k: v for k, v in options.items() if k in visible[level]}


def sidebar_filters(lang: str, user: User | None = None) -> Filters:
    """Draw the global filters in the sidebar and return them (scope is applied by the frame).

    Site options narrow to the chosen regions, team options to the chosen sites (else regions); a scoped user
    (team lead) is offered only the regions, sites and teams of their scope.
    """
    visible = cached(visible_units, user.scope_sites, user.scope_teams) if user is not None and user.scoped else None
    first, latest = cached(data_span)
    defaults = default_range(latest)
    _seed(defaults)
    st.sidebar.subheader(tr("shell.filters.title"), help=tr("shell.filters.help"), divider="gray")
    start, end = _dates(defaults)
    regions = _visible(dict(cached(region_options, lang)), visible, 0)
    if visible is not None and len(regions) <= 1:
        # A scoped user's one region (or none, when their sites have no region) is no choice: say it instead.
        st.session_state[KEYS["region"]] = []
        st.sidebar.caption(tr("shell.filters.scope_region", region=plain(next(iter(regions.values()))))
                           if regions else tr("shell.filters.scope_no_region"))
        region_ids: list[Any] = []
    else:
        region_ids = _multiselect("region", list(regions), regions.__getitem__)
    sites = _visible(dict(cached(site_options, tuple(region_ids), lang)), visible, 1)
    site_ids = _multiselect("site", list(sites), sites.__getitem__)
    teams = _visible(dict(cached(team_options, tuple(site_ids), tuple(region_ids), lang)), visible, 2)
    team_ids = _multiselect("team", list(teams), teams.__getitem__)
    channels = _multiselect("channel", cached(channel_options), _code_label("channel", lang))
    segments = _multiselect("segment", cached(segment_options), _code_label("segment", lang))
    st.sidebar.button(tr("shell.filters.reset"), icon=":material/filter_alt_off:", on_click=_reset,
                      args=(defaults,), key="flt_reset")
    if first and latest:
        st.sidebar.caption(tr("shell.filters.span", first=first.isoformat(), last=latest.isoformat()))
    _write_param("from", [] if start == defaults[0] else [start.isoformat()])
    _write_param("to", [] if end == defaults[1] else [end.isoformat()])
    for param, values in (("region", region_ids), ("site", site_ids), ("team", team_ids),
                          ("channel", channels), ("segment", segments)):
        _write_param(param, [str(v) for v in values])
    return Filters(date_from=start, date_to=end, region_ids=tuple(region_ids), site_ids=tuple(site_ids),
                   team_ids=tuple(team_ids), channels=tuple(channels), segments=tuple(segments))
