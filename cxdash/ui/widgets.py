"""Shared widgets every page uses: KPI cards, metric help, downloads, error boxes and low-sample notes.

Texts come from the catalogs in the page's language (:func:`cxdash.ui.context.tr`); numbers are formatted here
once so every page shows a share, a score or a count the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.exc import DBAPIError, OperationalError

from cxdash.domain.kpis import SCALE, SHARE
from cxdash.export import HEADER_PREFIXES, to_csv_bytes, to_xlsx_bytes, translated_headers
from cxdash.formatting import kpi_value as fmt_value
from cxdash.metrics.overview.kpi_cards import SIGNIFICANT, WITHIN_NOISE, KpiCard
from cxdash.ui.context import current_lang, tr

_LOG = logging.getLogger("cxdash.ui")
LOW_SAMPLE = 30
# Neither direction is good or bad in itself (basic rises when delight falls and when disappointment falls).
NEUTRAL = frozenset({"share_basic"})
DASH = "–"


def fmt_delta(delta: float | None, unit: str) -> str | None:
    """A change for display with its sign: percentage points for shares, points for NPS, scale units for CES."""
    if delta is None or pd.isna(delta):
        return None
    if unit == SHARE:
        return f"{delta * 100:+.1f} pp"
    if unit == SCALE:
        return f"{delta:+.2f}"
    return f"{delta:+.1f}"


def metric_help(key: str) -> str:
    """The definition of a metric from the catalog (``<key>.help``), for a widget's ``help=``."""
    return tr(f"{key}.help")


def _delta_color(card: KpiCard) -> str:
    """Colour only what is significant: noise stays grey; for "lower is better" KPIs a fall is good."""
    if card.verdict != SIGNIFICANT or card.key in NEUTRAL:
        return "off"
    return "inverse" if card.lower_is_better else "normal"


def _target_line(card: KpiCard) -> str:
    if card.target is None:
        return tr("shell.overview.no_target")
    text = tr("overview.target", target=fmt_value(card.target, card.unit))
    if card.target_met is None:
        return text
    verdict = tr("overview.target.met") if card.target_met else tr("overview.target.missed")
    colour = "green" if card.target_met else "red"
    icon = ":material/check_circle:" if card.target_met else ":material/cancel:"
    return f"{text} · :{colour}[{icon} {verdict}]"


def kpi_card(card: KpiCard, title: str | None = None, help_text: str | None = None,
             chart_data: list[float] | None = None) -> None:
    """One KPI as a bordered card: value, change against the previous period with its verdict ("significant" or
    "within noise"), the definition as help, then the 95 % interval, n and the target (met or missed).

    ``title`` and ``help_text`` default to the overview catalog's ``overview.kpi.<key>.title`` / ``.help``;
    ``chart_data`` (e.g. the monthly values) draws a small sparkline.
    """
    key = f"overview.kpi.{card.key}"
    verdict = card.verdict
    with st.container(border=True):
        st.metric(
            title or tr(f"{key}.title"),
            fmt_value(card.value, card.unit),
            delta=fmt_delta(card.delta, card.unit),
            delta_color=_delta_color(card),  # type: ignore[arg-type]
            delta_description=tr(f"overview.verdict.{verdict}") if verdict in (SIGNIFICANT, WITHIN_NOISE) else None,
            help=help_text or metric_help(key),
            chart_data=chart_data if chart_data and len(chart_data) > 1 else None,
            chart_type="line",
        )
        details = []
        if card.ci_low is not None and card.ci_high is not None:
            details.append(tr("overview.interval", low=fmt_value(card.ci_low, card.unit),
                              high=fmt_value(card.ci_high, card.unit)))
        if card.n is not None:
            details.append(tr("overview.sample", n=f"{card.n:,}"))
        if details:
            st.caption(" · ".join(details))
        st.caption(_target_line(card))
        if card.n is not None and 0 < card.n < LOW_SAMPLE:
            low_sample_note(card.n)


def low_sample_note(n: int) -> None:
    """A small warning that a figure rests on fewer than 30 answers."""
    st.caption(f":orange[:material/warning: {tr('shell.low_sample', n=n)}]")


def download_buttons(df: pd.DataFrame, name: str, headers: Mapping[str, Any] | str | None = None) -> None:
    """CSV and Excel download buttons side by side; text that could run as a formula is escaped.

    Headers are in the page's language: ``headers`` is the table's ``column_config`` (its labels are used) or the
    catalog prefix of the page's headers (``"service.col"``); other columns are looked up in every area's headers.
    """
    lang = current_lang()
    if isinstance(headers, str):
        df = translated_headers(df, lang, prefixes=(headers, *HEADER_PREFIXES))
    else:
        labels = {str(c): _config_label(v) for c, v in (headers or {}).items()}
        df = translated_headers(df, lang, {c: v for c, v in labels.items() if v})
    row = st.container(horizontal=True)
    # Callables: the files are built only when someone clicks, not on every rerun.
    row.download_button(tr("shell.download.csv"), lambda: to_csv_bytes(df), file_name=f"{name}.csv", mime="text/csv",
                         key=f"dl_{name}_csv", icon=":material/download:", on_click="ignore")
    row.download_button(tr("shell.download.xlsx"), lambda: to_xlsx_bytes(df), file_name=f"{name}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"dl_{name}_xlsx", icon=":material/table_view:", on_click="ignore")


def _config_label(value: Any) -> str | None:
    """The header a ``column_config`` entry gives (a plain string or a column type's ``label``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        label = value.get("label")
        return str(label) if label else None
    return None


def show_error(exc: BaseException) -> None:
    """A translated message instead of a traceback; the technical text stays in an expander and the log."""
    _LOG.error("page error", exc_info=exc)
    if isinstance(exc, (OperationalError, DBAPIError)):
        st.error(tr("shell.error.database"), icon=":material/database:")
    elif isinstance(exc, PermissionError):
        st.error(tr("shell.error.permission"), icon=":material/lock:")
    else:
        st.error(tr("shell.error.page"), icon=":material/error:")
    with st.expander(tr("shell.error.details")):
        st.code(f"{type(exc).__name__}: {exc}", language=None)
