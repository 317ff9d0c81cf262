"""Service (SLA): compliance over time and by group, early warnings, first-time fix, recurring problems, and
the tickets behind every figure (drill-down state in the URL)."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from cxdash.charts.service import (
    backlog_chart,
    breakdown_chart,
    compliance_trend_chart,
    ftf_trend_chart,
    pareto_chart,
)
from cxdash.code_labels import PREFIXES, code_label
from cxdash.formatting import display_frame
from cxdash.i18n import t
from cxdash.metrics.service.breakdown import GROUPINGS
from cxdash.metrics.service.lists import OUTCOMES, TicketPage
from cxdash.ui import service as ui
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain
from cxdash.views.service import (
    PAGE_SIZE,
    ServiceView,
    ftf_view,
    recurring_view,
    service_view,
    tickets_view,
    warning_view,
)

VIEWS = ("compliance", "warning", "ftf", "recurring")
DRILL_BY = [None, *GROUPINGS, "age", "ticket"]
# A click on a rate lists the tickets that missed it: the outcome behind each rate of the charts.
MISSED = {"first_response_rate": "frt_breached", "resolution_rate": "res_breached", "ftf_rate": "not_ftf",
          "reopen_rate": "reopened", "repeat_rate": "repeat"}
DRILL_OUTCOMES = [None, *OUTCOMES]
# URL parameter -> (allowed values or None for free text, default, parser)
URL_STATE = {
    ui.VIEW_KEY: (VIEWS, "compliance", str), "sla_period": (("month", "week"), "month", str),
    "sla_by": (tuple(GROUPINGS), "priority", str), "sla_ftf_by": (("team", "agent"), "team", str),
    "sla_measure": (("volume", "repeats"), "volume", str), "drill_by": (DRILL_BY, None, str),
    "drill_key": (None, "", str), "drill_outcome": (DRILL_OUTCOMES, None, str), "drill_period": (None, "", str),
    "drill_page": (None, 1, int),
}
ctx = get_context()
lang = ctx.lang
now = ui.now_minute()


def _drill_breakdown(chart_key: str, by: str) -> None:
    key = ui.picked(chart_key, "key")
    if key is not None:
        ui.set_drill(by, "" if key == "None" else key, MISSED.get(ui.picked(chart_key, "measure") or ""))


def _drill_trend(chart_key: str, period: str) -> None:
    value = ui.picked(chart_key, period)
    if value is not None:
        ui.set_drill(None, None, MISSED.get(ui.picked(chart_key, "measure") or ""), str(value))


def _drill_backlog(chart_key: str) -> None:
    code = ui.picked(chart_key, "code")
    if code is not None:
        ui.set_drill("age", code)


def _drill_table(table_key: str, keys: list, by: str) -> None:
    rows = st.session_state[table_key].selection.rows
    if rows:
        k = keys[rows[0]]
        ui.set_drill(by, "" if k is None else k)


def _breakdown_section(bd: pd.DataFrame, by: str, rates: tuple[str, ...], prefix: str) -> None:
    if bd.empty:
        st.info(tr("common.app.no_data"))
        return
    if by in PREFIXES:  # uploaded codes (priority, category, channel): their names in the user's language
        bd = bd.assign(name=[code_label(by, k, lang) if isinstance(k, str) else n for k, n in zip(bd["key"], bd["name"], strict=True)])
    chart_key = f"{prefix}_chart"
    st.altair_chart(breakdown_chart(bd, lang, rates), key=chart_key, on_select=partial(_drill_breakdown, chart_key, by),
                    selection_mode="pick", width="stretch")
    cols = ["name", "n", *rates, "frt_n", "res_n", "frt_median", "frt_p90", "res_median", "res_p90", "resolved",
            "chased_rate", "merged"]
    shown = bd[cols].copy()
    table_key = f"{prefix}_table"
    st.dataframe(display_frame(shown, lang, kinds=dict.fromkeys(("frt_median", "frt_p90", "res_median", "res_p90"),
                                                                "duration")), hide_index=True, key=table_key, on_select=partial(_drill_table, table_key, bd["key"].tolist(), by),
                 selection_mode="single-row",
                 column_config=_rate_columns(cols))
    st.caption(tr("service.click_to_drill"))
    ui.downloads(bd, f"sla_by_{by}")


def _ticket_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Ticket rows for display: codes in words, business minutes as durations, times to the minute, no "None"."""
    kinds: dict[str, str | None] = {"link": None, "frt_business_min": "duration", "res_business_min": "duration",
                                    "frt_target_min": "duration", "res_target_min": "duration",
                                    "minutes_left": "duration", "created_at": "datetime", "due_at": "datetime"}
    return display_frame(ui.translate_codes(rows), lang, kinds={k: v for k, v in kinds.items() if k in rows})


def _rate_columns(cols: list[str]) -> dict:
    cfg = {c: tr(f"service.col.{c}") for c in cols}
    for c in cols:
        if c.endswith("_rate"):
            cfg[c] = st.column_config.Column(tr(f"service.col.{c}"), help=tr(f"service.help.col.{c}"))
        elif c.endswith(("_median", "_p90")):
            cfg[c] = st.column_config.Column(tr(f"service.col.{c}"), help=tr("service.help.times"))
    return cfg


def _compliance(sv: ServiceView) -> None:
    # the view was computed for these controls' values (their session state) before the cards were drawn
    st.segmented_control(tr("service.period.label"), ["month", "week"], key="sla_period", required=True,
                         format_func=lambda p: t(f"service.period.{p}", lang))
    period, trend = sv.period, sv.trend
    if not trend.empty:
        st.altair_chart(compliance_trend_chart(trend, lang, period), key="cmp_trend", selection_mode="pick",
                        on_select=partial(_drill_trend, "cmp_trend", period), width="stretch")
        st.caption(tr("service.click_trend"))
    times = sv.times
    if not times.empty:
        row = times.iloc[0]
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(tr("service.kpi.frt_median"), ui.minutes(row["frt_median"]), help=tr("service.help.times"))
        c2.metric(tr("service.kpi.frt_p90"), ui.minutes(row["frt_p90"]), help=tr("service.help.times"))
        c3.metric(tr("service.kpi.res_median"), ui.minutes(row["res_median"]), help=tr("service.help.times"))
        c4.metric(tr("service.kpi.res_p90"), ui.minutes(row["res_p90"]), help=tr("service.help.times"))
    st.selectbox(tr("service.by.label"), list(GROUPINGS), key="sla_by", format_func=lambda g: t(f"service.by.{g}", lang))
    _breakdown_section(sv.breakdown, sv.by, ("first_response_rate", "resolution_rate"), "cmp")
    st.subheader(tr("service.backlog.title"))
    st.caption(tr("service.help.backlog"))
    st.altair_chart(backlog_chart(sv.backlog, lang), key="backlog_chart",
                    selection_mode="pick", on_select=partial(_drill_backlog, "backlog_chart"), width="stretch")


def _warning_list(kind: str, page: TicketPage) -> None:
    st.subheader(tr(f"service.warning.{kind}"), help=tr(f"service.help.warning.{kind}"))
    if page.rows.empty:
        st.success(tr(f"service.warning.none_{kind}"))
        return
    rows = page.rows.assign(link=[ui.ticket_link(i) for i in page.rows["id"]])
    cols = list(ui.WARNING_COLUMNS)
    st.dataframe(_ticket_rows(rows[cols]), hide_index=True, column_config=ui.column_config(tuple(cols)))
    if page.total > len(rows):
        st.caption(tr("service.shown_of", shown=len(rows), total=page.total))
    ui.downloads(rows[cols[1:]], f"sla_{kind}")


def _warning() -> None:
    st.caption(tr("service.help.warning"))
    warnings = cached(warning_view, ctx.filters, lang, now=now)
    _warning_list("at_risk", warnings.at_risk)
    _warning_list("breached", warnings.breached)


def _ftf(sv: ServiceView) -> None:
    # the controls hold their values in the session state, read here before the grouping control is drawn
    fv = cached(ftf_view, ctx.filters, lang, now=now, period=st.session_state.get("sla_period") or "month",
                by=st.session_state.get("sla_ftf_by") or "team")
    period, trend = fv.period, fv.trend
    if not trend.empty:
        st.altair_chart(ftf_trend_chart(trend, lang, period), key="ftf_trend", selection_mode="pick",
                        on_select=partial(_drill_trend, "ftf_trend", period), width="stretch")
        st.caption(tr("service.click_trend"))
    st.segmented_control(tr("service.by.label"), ["team", "agent"], key="sla_ftf_by", required=True,
                         format_func=lambda g: t(f"service.by.{g}", lang))
    _breakdown_section(fv.breakdown, fv.by, ("ftf_rate", "reopen_rate", "repeat_rate"), "ftf")
    merged = sv.summary.merged
    st.button(tr("service.merged_list", n=merged), key="merged_btn", on_click=ui.set_drill, kwargs={"outcome": "merged"},
              disabled=merged == 0, help=tr("service.help.merged"))


def _pick_category(chart_key: str, outcome: str | None) -> None:
    cat = ui.picked(chart_key, "category")
    if cat is not None:
        ui.set_drill("category", "" if cat == tr("service.value.none") else cat, outcome)


def _recurring() -> None:
    st.caption(tr("service.help.pareto"))
    measure = st.segmented_control(tr("service.pareto.measure"), ["volume", "repeats"], key="sla_measure", required=True,
                                   format_func=lambda m: t(f"service.pareto.{m}", lang))
    data = cached(recurring_view, ctx.filters, lang, measure=measure).pareto
    if data.empty:
        st.info(tr("common.app.no_data"))
        return
    outcome = "repeat" if measure == "repeats" else None
    st.altair_chart(pareto_chart(data, lang, measure), key="pareto_chart",
                    on_select=partial(_pick_category, "pareto_chart", outcome), selection_mode="pick", width="stretch")
    st.caption(tr("service.click_to_drill"))
    ui.downloads(data, f"sla_pareto_{measure}")


def _drill_down() -> None:
    st.subheader(tr("service.drill.title"))
    c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 2, 1])
    c1.selectbox(tr("service.drill.by"), DRILL_BY, key="drill_by", placeholder=tr("service.drill.all"),
                 format_func=lambda g: t("service.drill.all", lang) if g is None else t(f"service.by.{g}", lang))
    c2.text_input(tr("service.drill.key"), key="drill_key", help=tr("service.help.drill_key"))
    c3.selectbox(tr("service.drill.outcome"), DRILL_OUTCOMES, key="drill_outcome", placeholder=tr("service.drill.all"),
                 format_func=lambda o: t("service.drill.all", lang) if o is None else t(f"service.outcome.{o}", lang))
    c4.text_input(tr("service.drill.period"), key="drill_period", help=tr("service.help.drill_period"))
    page_no = c5.number_input(tr("service.drill.page"), min_value=1, step=1, key="drill_page")
    try:
        tv = cached(tickets_view, ctx.filters, lang, drill=ui.drill_from_state(), now=now, page=int(page_no),
                    page_size=PAGE_SIZE)
    except ValueError as exc:
        st.error(tr("service.err.drill", error=plain(exc, 1000)))
        return
    page = tv.tickets
    st.caption(tr("service.drill.count", total=page.total, page=tv.page, pages=tv.pages))
    cols = list(ui.LIST_COLUMNS)
    st.dataframe(_ticket_rows(page.rows[cols]), hide_index=True, column_config=ui.column_config(tuple(cols)))
    ui.downloads(page.rows[cols], "sla_tickets")


st.title(tr("service.page.service"))
for _key, (_options, _default, _cast) in URL_STATE.items():
    ui.from_url(_key, _options, _default, _cast)
try:
    main = cached(service_view, ctx.filters, lang, now=now, period=st.session_state.get("sla_period") or "month",
                  by=st.session_state.get("sla_by") or "priority")
    ui.kpi_cards(main.summary)
    view = st.segmented_control(tr("service.view.label"), VIEWS, key=ui.VIEW_KEY, required=True,
                                format_func=lambda v: t(f"service.view.{v}", lang))
    {"compliance": lambda: _compliance(main), "warning": _warning, "ftf": lambda: _ftf(main),
     "recurring": _recurring}[view or "compliance"]()
    _drill_down()
    ui.to_url({k: v[1] for k, v in URL_STATE.items()})
except Exception as exc:  # noqa: BLE001 - any failure becomes a translated message instead of a stack trace
    st.error(tr("service.err.load", error=plain(exc, 1000)))
