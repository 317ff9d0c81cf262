"""Streamlit pieces of the service page: KPI cards, drill-down state in the URL, ticket tables, downloads.

The view and the drill-down (``sla_view``, ``sla_by``, ..., ``drill_by``, ``drill_key``, ``drill_outcome``,
``drill_period``, ``drill_page``) live in URL query parameters, so a drilled view is a link one can share.
They are synced by hand (:func:`from_url` / :func:`to_url`) rather than with ``bind="query-params"``, because
a bound select widget writes its translated label into the URL, and the link would break in another language;
here the URL always holds the stored codes. Clicking a chart or a table row sets the widgets' session state in
a callback, before the next run draws them.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from cxdash.code_labels import label_codes
from cxdash.domain.service_sql import utcnow
from cxdash.formatting import duration
from cxdash.metrics.service.compliance import SlaSummary
from cxdash.metrics.service.lists import Drill
from cxdash.ui.context import current_lang, get_context, tr
from cxdash.ui.experience import picked  # noqa: F401 - the service page calls it as ui.picked
from cxdash.ui.url_state import from_url, to_url  # noqa: F401 - the pages call them as ui.from_url / ui.to_url
from cxdash.ui.widgets import download_buttons

DRILL_KEYS = ("drill_by", "drill_key", "drill_outcome", "drill_period", "drill_page")
VIEW_KEY = "sla_view"
LIST_COLUMNS = ("id", "external_id", "status", "priority", "category", "channel", "site", "team", "agent",
                "created_at", "frt_business_min", "frt_target_min", "res_business_min", "res_target_min",
                "reopen_count", "reminder_count", "is_repeat_7d", "merged_into", "subject")
WARNING_COLUMNS = ("link", "id", "external_id", "priority", "category", "agent", "team", "status", "created_at",
                   "age_hours", "target", "due_at", "minutes_left")




def now_minute() -> datetime:
    """The current UTC time cut to the minute: the ``now`` of every SLA figure, stable enough to cache."""
    return utcnow().replace(second=0, microsecond=0)


def pct(value: float) -> str:
    """A rate as a percentage with one decimal; a dash when undefined."""
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def minutes(value: float) -> str:
    """Business minutes as hours and minutes ("3 h 05 min"); a dash when undefined."""
    return duration(value, get_context().lang)


def kpi_cards(s: SlaSummary) -> None:
    """Headline cards with their definitions in the help text and each share's Wilson 95 % interval and n."""
    cards = [
        ("service.kpi.first_response", s.first_response),
        ("service.kpi.resolution", s.resolution),
        ("service.kpi.ftf", s.ftf),
        ("service.kpi.reopen", s.reopen),
        ("service.kpi.repeat", s.repeat),
        ("service.kpi.chased", s.chased),
    ]
    # two rows of four: eight cards in one row cut their titles to "First-respon..." at 1440 px
    cols = [*st.columns(4), *st.columns(4)]
    for col, (key, rate) in zip(cols, cards, strict=False):
        col.metric(tr(key), pct(rate.rate), help=tr(key.replace(".kpi.", ".help.")) + " " + tr("service.help.wilson"))
        low, high = rate.ci
        # Same caption as the overview's share cards: a share without its interval reads surer than it is.
        interval = [] if low is None or high is None else [tr("overview.interval", low=pct(low), high=pct(high))]
        col.caption(" · ".join([*interval, tr("service.n", n=rate.n)]))
    cols[-2].metric(tr("service.kpi.at_risk"), s.at_risk, help=tr("service.help.at_risk"))
    cols[-1].metric(tr("service.kpi.breached_open"), s.breached_open, help=tr("service.help.breached_open"))
    st.caption(tr("service.merged_note", merged=s.merged, n=s.n))


def drill_from_state() -> Drill:
    """The drill-down the URL / widgets currently hold."""
    get = st.session_state.get
    return Drill(get("drill_by") or None, get("drill_key") or None, get("drill_outcome") or None,
                 get("drill_period") or None)


def set_drill(group: str | None = None, key: Any = None, outcome: str | None = None, period: str | None = None) -> None:
    """Point the drill-down at a group/outcome/period (call from a widget callback)."""
    st.session_state["drill_by"] = group
    st.session_state["drill_key"] = "" if key is None else str(key)
    st.session_state["drill_outcome"] = outcome
    st.session_state["drill_period"] = period or ""
    st.session_state["drill_page"] = 1


def ticket_link(ticket_id: int) -> str:
    """A relative link to this page listing one ticket, keeping the current filters of the URL."""
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in (*DRILL_KEYS, VIEW_KEY)}
    params.update({"drill_by": "ticket", "drill_key": str(ticket_id)})
    return "?" + urlencode(params)


def column_config(columns: tuple[str, ...]) -> dict[str, Any]:
    """Translated headers (and formats) for ticket tables."""
    cfg: dict[str, Any] = {c: tr(f"service.col.{c}") for c in columns}
    cfg["link"] = st.column_config.LinkColumn(tr("service.col.link"), display_text=tr("service.col.open_ticket"))
    # the figures come pre-written (cxdash.formatting.display_frame): durations in words, times to the minute
    for c in ("frt_business_min", "res_business_min", "minutes_left", "age_hours"):
        cfg[c] = st.column_config.Column(tr(f"service.col.{c}"), help=tr(f"service.help.col.{c}"))
    for c in ("created_at", "due_at"):
        cfg[c] = st.column_config.Column(tr(f"service.col.{c}"), help=tr("service.help.utc"))
    return cfg


def translate_codes(df: pd.DataFrame) -> pd.DataFrame:
    """Status, priority, target, category and channel codes in the current language (the stored codes stay in
    downloads); a category or channel the catalogs do not know is shown as uploaded."""
    out = df.copy()
    for col, prefix in (("status", "service.status"), ("priority", "service.priority"), ("target", "service.target")):
        if col in out.columns:
            out[col] = [tr(f"{prefix}.{v}") if isinstance(v, str) and v in _KNOWN[col] else v for v in out[col]]
    return label_codes(out, {"category": "category", "channel": "channel"}, current_lang())


_KNOWN = {
    "status": {"open", "pending", "resolved", "closed"},
    "priority": {"urgent", "high", "normal", "low"},
    "target": {"first_response", "resolution"},
}


def downloads(df: pd.DataFrame, name: str) -> None:
    """CSV and XLSX downloads (formula-escaped) through the frame's shared widget."""
    download_buttons(df, name, "service.col")
