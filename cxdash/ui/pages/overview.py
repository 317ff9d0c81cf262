"""Executive overview: every KPI card against the previous period and its target, the monthly trend of each KPI,
and the touchpoints furthest below expectations. Figures come from :func:`cxdash.views.overview.overview_view`."""

from __future__ import annotations

import streamlit as st

from cxdash.charts.overview import (
    kpi_trend_chart,
    service_trend_chart,
    tier_trend_chart,
    worst_touchpoints_chart,
)
from cxdash.metrics.overview.kpi_cards import KpiCard
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.followup import cards as case_cards
from cxdash.ui.followup import now_minute
from cxdash.ui.loyalty import churn_control, churn_mode
from cxdash.ui.widgets import download_buttons, kpi_card
from cxdash.views.overview import WINDOWS, OverviewView, overview_cases_view, overview_view

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
WINDOW_KEY = "ov_trend_window"
TABS = (
    ("shell.overview.tab.headline", ("nps", "csat", "ces", "churn")),
    ("shell.overview.tab.tiers", ()),
    ("shell.overview.tab.effort", ("ces_easy", "effort_multiple_contacts", "effort_transferred", "effort_repeated_story")),
    ("shell.overview.tab.service", ()),
)


def _header(view: OverviewView) -> None:
    ov = view.overview
    st.title(tr("overview.page.title"))
    if ov.date_from and ov.date_to and ov.previous_from and ov.previous_to:
        period = tr("overview.period", start=ov.date_from.isoformat(), end=ov.date_to.isoformat(),
                    prev_start=ov.previous_from.isoformat(), prev_end=ov.previous_to.isoformat())
    else:
        period = tr("overview.period.all")
    as_of = f" · {tr('overview.as_of', date=ov.as_of.isoformat())}" if ov.as_of else ""
    st.caption(period + as_of, help=tr("overview.change.help"))


def _cards(view: OverviewView) -> None:
    placed = {k for _, keys in ROWS for k in keys}
    extra = tuple(c.key for c in view.cards if c.key not in placed)
    by_key = {c.key: c for c in view.cards}
    for title_key, keys in (*ROWS, ("shell.overview.section.more", extra)):
        cards: list[KpiCard] = [by_key[k] for k in keys if k in by_key]
        if not cards:
            continue
        st.subheader(tr(title_key))
        # rows of four: six cards in one row cut their titles and verdicts ("withi...") at 1440 px
        for start in range(0, len(cards), 4):
            for col, card in zip(st.columns(4), cards[start:start + 4], strict=False):
                with col:
                    kpi_card(card, chart_data=view.sparkline(card.key))
        if "churn" in keys and view.overview.churn_note is not None:
            churn_control(view.overview.churn_note)  # the rule beside the churn card, and how to switch it


def _cases() -> None:
    """The follow-up case cards, once the scope holds any case (a deployment without alert rules sees none)."""
    m = cached(overview_cases_view, ctx.filters, lang, now=now_minute())
    if m.opened == 0 and m.open == 0:
        return
    st.subheader(tr("followup.overview.title"))
    case_cards(m, ("opened", "open", "overdue", "within_target", "recovery"), per_row=5)


def _kpi_grid(view: OverviewView, keys: tuple[str, ...]) -> None:
    shown = [k for k in keys if view.has_trend(k)]
    targets = view.targets
    for start in range(0, len(shown), 2):
        for col, key in zip(st.columns(2), shown[start:start + 2], strict=False):
            col.altair_chart(kpi_trend_chart(view.trend, key, lang, targets.get(key)), width="stretch")


def _trends(view: OverviewView) -> None:
    st.subheader(tr("overview.trend.title"), help=tr("overview.trend.help"))
    st.segmented_control(tr("shell.overview.trend_window"), list(WINDOWS), key=WINDOW_KEY, default=WINDOWS[0],
                         required=True, help=tr("shell.overview.trend_window.help"),
                         format_func=lambda w: tr(f"shell.overview.trend_window.{w}"))
    trend = view.trend
    if trend.empty:
        st.info(tr("shell.overview.no_trend"))
        return
    tabs = st.tabs([tr(key) for key, _ in TABS])
    for tab, (key, kpis) in zip(tabs, TABS, strict=True):
        with tab:
            if key.endswith("tiers"):
                st.altair_chart(tier_trend_chart(trend, lang), width="stretch")
            elif key.endswith("service"):
                st.altair_chart(service_trend_chart(trend, lang), width="stretch")
            else:
                _kpi_grid(view, kpis)
                if "churn" in kpis:
                    for line in view.trend_notes:
                        st.caption(line)


def _worst(view: OverviewView) -> None:
    st.subheader(tr("overview.worst.title"), help=tr("overview.worst.help"))
    worst = view.worst
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


# The window is read before its control is drawn: the control sits below the cards the trend feeds.
view = cached(overview_view, ctx.filters, lang, window=st.session_state.get(WINDOW_KEY) or WINDOWS[0],
              churn_mode=churn_mode())
_header(view)
_cards(view)
_cases()
_trends(view)
_worst(view)
download_buttons(view.cards_table, "cxdash_overview", "common.export.overview")
