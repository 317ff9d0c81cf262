"""Executive overview: every KPI card against the previous period and its target, the monthly trend of each KPI,
and the touchpoints furthest below expectations. Figures come from :mod:`cxdash.metrics.overview`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cxdash.charts.overview import (
    kpi_trend_chart,
    service_trend_chart,
    tier_trend_chart,
    worst_touchpoints_chart,
)
from cxdash.domain.periods import trailing_year
from cxdash.metrics.churn_notes import trend_lines
from cxdash.metrics.kpi_cards import KpiCard
from cxdash.metrics.overview import Overview, overview, overview_trends, worst_touchpoints
from cxdash.ui.cache import cached
from cxdash.ui.churn import churn_control, churn_mode
from cxdash.ui.context import get_context, tr
from cxdash.ui.widgets import download_buttons, kpi_card

ctx = get_context()
lang = ctx.lang

# Card rows: (section title key, card keys). Cards the metrics add later land in a last "more" row.
ROWS = (
    ("shell.overview.section.headline", ("nps", "csat", "ces", "churn")),
    ("overview.group.tiers", ("share_disappointed", "share_basic", "share_delighted", "share_none")),
    ("overview.group.effort", ("ces_easy", "effort_multiple_contacts", "effort_transferred", "effort_repeated_story")),
    ("shell.overview.section.service", ("sla_first_response", "sla_resolution", "ftf", "plans_open", "plans_overdue",
                                              "plans_improved")),
)
WINDOWS, WINDOW_KEY = ("12m", "range"), "ov_trend_window"
TABS = (
    ("shell.overview.tab.headline", ("nps", "csat", "ces", "churn")),
    ("shell.overview.tab.tiers", ()),
    ("shell.overview.tab.effort", ("ces_easy", "effort_multiple_contacts", "effort_transferred", "effort_repeated_story")),
    ("shell.overview.tab.service", ()),
)


def _header(ov: Overview) -> None:
    st.title(tr("page.overview"))
    if ov.date_from and ov.date_to and ov.previous_from and ov.previous_to:
        period = tr("overview.period", start=ov.date_from.isoformat(), end=ov.date_to.isoformat(),
                    prev_start=ov.previous_from.isoformat(), prev_end=ov.previous_to.isoformat())
    else:
        period = tr("overview.period.all")
    as_of = f" · {tr('overview.as_of', date=ov.as_of.isoformat())}" if ov.as_of else ""
    st.caption(period + as_of, help=tr("overview.change.help"))


def _cards(ov: Overview, trend: pd.DataFrame) -> None:
    placed = {k for _, keys in ROWS for k in keys}
    extra = tuple(c.key for c in ov.cards if c.key not in placed)
    by_key = {c.key: c for c in ov.cards}
    for title_key, keys in (*ROWS, ("shell.overview.section.more", extra)):
        cards: list[KpiCard] = [by_key[k] for k in keys if k in by_key]
        if not cards:
            continue
        st.subheader(tr(title_key))
        # rows of four: six cards in one row cut their titles and verdicts ("withi...") at 1440 px
        for start in range(0, len(cards), 4):
            for col, card in zip(st.columns(4), cards[start:start + 4], strict=False):
                with col:
                    values = trend.loc[trend["kpi"] == card.key, "value"].dropna().tolist()
                    kpi_card(card, chart_data=values)
        if "churn" in keys and ov.churn_note is not None:
            churn_control(ov.churn_note)  # the rule beside the churn card, and how to switch it


def _trend(window: str) -> pd.DataFrame:
    """The monthly trend over the selected dates, or over the twelve months ending on the selected end date."""
    f = ctx.filters
    if window == "12m" and f.date_to is not None:
        f = f.with_dates(*trailing_year(f.date_to))
    return cached(overview_trends, f, churn_mode=churn_mode())


def _kpi_grid(trend: pd.DataFrame, keys: tuple[str, ...], targets: dict[str, float | None]) -> None:
    shown = [k for k in keys if not trend[trend["kpi"] == k].empty]
    for start in range(0, len(shown), 2):
        for col, key in zip(st.columns(2), shown[start:start + 2], strict=False):
            col.altair_chart(kpi_trend_chart(trend, key, lang, targets.get(key)), width="stretch")


def _trends(ov: Overview, trend: pd.DataFrame) -> None:
    st.subheader(tr("overview.trend.title"), help=tr("overview.trend.help"))
    st.segmented_control(tr("shell.overview.trend_window"), list(WINDOWS), key=WINDOW_KEY, default=WINDOWS[0],
                         required=True, help=tr("shell.overview.trend_window.help"),
                         format_func=lambda w: tr(f"shell.overview.trend_window.{w}"))
    if trend.empty:
        st.info(tr("shell.overview.no_trend"))
        return
    targets = {c.key: c.target for c in ov.cards}
    tabs = st.tabs([tr(key) for key, _ in TABS])
    for tab, (key, kpis) in zip(tabs, TABS, strict=True):
        with tab:
            if key.endswith("tiers"):
                st.altair_chart(tier_trend_chart(trend, lang), width="stretch")
            elif key.endswith("service"):
                st.altair_chart(service_trend_chart(trend, lang), width="stretch")
            else:
                _kpi_grid(trend, kpis, targets)
                if "churn" in kpis:
                    for line in cached(trend_lines, ctx.filters, lang, churn_mode()):
                        st.caption(line)


def _worst() -> None:
    st.subheader(tr("overview.worst.title"), help=tr("overview.worst.help"))
    worst = cached(worst_touchpoints, ctx.filters, lang)
    if worst.empty:
        st.success(tr("overview.worst.none"), icon=":material/thumb_up:")
        return
    st.altair_chart(worst_touchpoints_chart(worst, lang), width="stretch")
    cols = ["stage_name", "touchpoint_name", "gap", "ci_low", "ci_high", "n", "share_disappointed"]
    config = {
        "stage_name": st.column_config.TextColumn(tr("overview.col.stage")),
        "touchpoint_name": st.column_config.TextColumn(tr("overview.col.touchpoint")),
        "gap": st.column_config.NumberColumn(tr("overview.col.gap"), format="%+.3f"),
        "ci_low": st.column_config.NumberColumn(tr("overview.col.ci_low"), format="%+.3f"),
        "ci_high": st.column_config.NumberColumn(tr("overview.col.ci_high"), format="%+.3f"),
        "n": st.column_config.NumberColumn(tr("overview.col.n"), format="%d"),
        "share_disappointed": st.column_config.NumberColumn(tr("overview.col.share_disappointed"), format="percent"),
    }
    st.dataframe(worst[cols], column_config=config, hide_index=True, width="stretch")


def _download(ov: Overview) -> None:
    table = pd.DataFrame(ov.records())
    table.insert(1, "title", [tr(f"overview.kpi.{k}.title") for k in table["key"]])
    download_buttons(table, "cxdash_overview", "export.overview")


ov = cached(overview, ctx.filters, churn_mode=churn_mode())
trend = _trend(st.session_state.get(WINDOW_KEY) or WINDOWS[0])
_header(ov)
_cards(ov, trend)
_trends(ov, trend)
_worst()
_download(ov)
