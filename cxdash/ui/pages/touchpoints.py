"""Touchpoint gaps: journey map and gap table, importance-performance matrix and gap trend, comparisons, and the
drill-down from a stage to the responses behind a number (state in the URL). Figures come from the views of
:mod:`cxdash.views.touchpoints`, one per tab."""

from __future__ import annotations

import streamlit as st

from cxdash import formatting as fmt
from cxdash.charts.experience import gap_trend_chart, interval_chart, ipa_chart, journey_map
from cxdash.i18n import t
from cxdash.metrics.experience.drilldown import DrillState
from cxdash.ui import experience as ui
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain
from cxdash.views.touchpoints import (
    COMPARE_COLS,
    GAP_COLS,
    LEVEL_COLS,
    DrilldownView,
    ImportanceModel,
    compare_view,
    drilldown_export,
    drilldown_view,
    matrix_view,
    touchpoints_view,
)

VIEWS = ("map", "matrix", "compare", "drill")
VIEW_KEY = "tp_view"
UNITS = ("site", "team")
HELP = {"n": "experience.help.n", "gap": "experience.help.gap", "ci_low": "experience.help.ci",
        "ci_high": "experience.help.ci", "q_value": "experience.help.q_value", "wilcoxon_p": "experience.help.wilcoxon",
        "share_disappointed": "experience.help.share_disappointed", "importance": "experience.help.importance",
        "gap_points": "experience.help.gap_points"}
ctx = get_context()
lang = ctx.lang
state = ui.drill_state()
ui.from_url(VIEW_KEY, VIEWS, "drill" if state != DrillState() else "map")
ui.from_url("tp_trend", None, 0, int)
ui.from_url("cmp_by", UNITS, "site")
ui.from_url("cmp_key", None, 0, int)
ui.from_url("tp_rank", None, 0, int)
ui.from_url(ui.SEARCH_KEY, None, "")
ui.from_url(ui.PAGE_KEY, None, 1, int)


def _on_map_click() -> None:
    tp, stage = ui.picked("journey_map", "touchpoint_id"), ui.picked("journey_map", "stage_code")
    if tp is not None and stage is not None:
        ui.go(DrillState(stage=str(stage), touchpoint=int(tp)), VIEW_KEY, "drill")


def _on_map_open(stages: dict) -> None:
    tp = st.session_state.get("map_open")
    if tp is not None:
        st.session_state["map_open"] = None
        ui.go(DrillState(stage=str(stages[tp]), touchpoint=int(tp)), VIEW_KEY, "drill")


def _on_table_click(keys: list, stages: list) -> None:
    row = ui.picked_row("gap_table")
    if row is not None:
        ui.go(DrillState(stage=str(stages[row]), touchpoint=int(keys[row])), VIEW_KEY, "drill")


def _map_view() -> None:
    view = cached(touchpoints_view, ctx.filters, lang)
    if not view.has_data:
        st.info(tr("common.app.no_data"))
        return
    table = view.table
    st.caption(tr("experience.map.help"))
    st.altair_chart(journey_map(table, lang), key="journey_map", on_select=_on_map_click, selection_mode="pick")
    if not view.shortfalls.empty:
        st.markdown(f"**{tr('experience.map.shortfalls')}**")
        st.text("\n".join(f"{r.touchpoint_code}  {r.touchpoint_name}  {fmt.gap(r.gap)}  ({fmt.p_value(r.q_value, prefix=True).replace('p ', 'q ', 1)}, n = {fmt.count(r.n)})"
                           for r in view.shortfalls.itertuples()))
    names = view.names
    st.selectbox(tr("experience.drill.open"), list(view.options), index=None, key="map_open",
                 format_func=lambda i: names[i], placeholder=tr("experience.drill.choose"), on_change=_on_map_open,
                 args=(view.stages,))
    st.subheader(tr("experience.gap_table.title"))
    st.dataframe(ui.shown(view.rows), hide_index=True, key="gap_table", selection_mode="single-row",
                 on_select=lambda: _on_table_click(table["touchpoint_id"].tolist(), table["stage_code"].tolist()),
                 column_config=ui.columns_config(GAP_COLS, percent=("share_disappointed", "importance"),
                                                 signed=("gap", "gap_points", "ci_low", "ci_high"), help_keys=HELP))
    if view.mixed_codes:  # say why those cells are empty; the codes are catalog text, shown plain
        st.text(tr("experience.gaps.points_mixed", codes=", ".join(view.mixed_codes)))
    _importance_note(view.importance)
    ui.downloads(table, "touchpoint_gaps")


def _importance_note(model: ImportanceModel | None) -> None:
    if model is not None:
        st.caption(tr("experience.importance.model", outcome=tr(f"experience.outcome.{model.outcome}"),
                      r2=f"{model.r2:.2f}", n=model.n))


def _matrix_view() -> None:
    view = cached(matrix_view, ctx.filters, lang, touchpoint=st.session_state.get("tp_trend"),
                  period=st.session_state.get("tp_trend_period") or "month")
    if view.points.empty:
        st.info(tr("common.app.no_data"))
    else:
        st.caption(tr("experience.help.ipa"))
        st.altair_chart(ipa_chart(view.points, view.x_kind, view.x_cut, view.y_cut, lang), width="stretch")
        _importance_note(view.importance)
    if view.touchpoint is None:
        return
    names = view.names
    st.session_state["tp_trend"] = view.touchpoint  # the first touchpoint when the one asked for has no responses
    tp = st.selectbox(tr("experience.trend.touchpoint"), list(view.options), key="tp_trend",
                      format_func=lambda i: names[i])
    st.segmented_control(tr("experience.period.label"), ["month", "week"], default="month", key="tp_trend_period",
                         format_func=lambda p: t(f"experience.period.{p}", lang))
    if not view.trend.empty:
        st.altair_chart(gap_trend_chart(view.trend, names[tp], lang), width="stretch")


def _compare_view() -> None:
    by = st.segmented_control(tr("experience.compare.by"), list(UNITS), key="cmp_by", required=True,
                              format_func=lambda b: t(f"experience.by.{b}", lang))
    view = cached(compare_view, ctx.filters, lang, by=by or "site", unit=st.session_state.get("cmp_key"),
                  touchpoint=st.session_state.get("tp_rank"))
    if view.unit is None or view.comparison is None:
        st.info(tr("common.app.no_data"))
        return
    units = view.units
    st.session_state["cmp_key"] = view.unit  # the first unit when the one asked for is not in this breakdown
    key = st.selectbox(tr("experience.compare.unit"), list(units), key="cmp_key", format_func=lambda k: units[k])
    st.subheader(tr("experience.compare.vs_rest", name=plain(units[key])))
    st.caption(tr("experience.help.compare"))
    if not view.chart_data.empty:
        st.altair_chart(interval_chart(view.chart_data, lang, tr("experience.chart.compare"), value="diff",
                                       key="touchpoint_id", axis_key="experience.axis.diff"), width="stretch")
    st.dataframe(ui.shown(view.comparison[COMPARE_COLS]), hide_index=True, column_config=ui.columns_config(
        COMPARE_COLS, signed=("gap_group", "gap_rest", "diff", "ci_low", "ci_high")))
    ui.downloads(view.comparison, f"compare_{view.by}_{key}")
    if view.touchpoint is None:
        return
    names = view.names
    st.session_state["tp_rank"] = view.touchpoint  # the worst gap when the one asked for has no responses
    tp = st.selectbox(tr("experience.trend.touchpoint"), list(view.options), key="tp_rank",
                      format_func=lambda i: names[i])
    rank = view.ranking
    if rank is None or rank.empty:
        return
    title = tr("experience.chart.ranking", by=tr(f"experience.by.{view.by}"), tp=names[tp])
    st.altair_chart(interval_chart(rank, lang, title), width="stretch")
    ui.downloads(rank, f"ranking_{view.by}_{tp}")


def _drill_click(level_keys: list, chart_key: str | None = None) -> None:
    if chart_key is not None:
        key = ui.picked(chart_key, "key")
    else:
        row = ui.picked_row("level_table")
        key = level_keys[row] if row is not None else None
    if key is not None:
        ui.go(state.down(key), VIEW_KEY, "drill")


def _drill_pick(names: dict, widget: str) -> None:
    key = st.session_state.get(widget)
    if key is not None and key in names:
        ui.go(state.down(key), VIEW_KEY, "drill")


def _drill_view() -> None:
    view = cached(drilldown_view, ctx.filters, lang, state=state, search=st.session_state.get(ui.SEARCH_KEY, ""),
                  page=int(st.session_state.get(ui.PAGE_KEY, 1)))
    ui.breadcrumb(list(view.crumbs), VIEW_KEY)
    if view.outside_scope:
        st.warning(tr("experience.drill.outside_scope"), icon=":material/lock:")
        return
    level = view.level
    st.subheader(tr(f"experience.drill.level.{level}"))
    if level == "responses":
        _responses(view)
        return
    if view.outside_selection:
        st.warning(tr("experience.drill.outside"))
        return
    table = view.table
    if table is None or table.empty:
        st.info(tr("experience.drill.empty"))
        return
    st.caption(tr("experience.drill.hint"))
    keys = view.keys
    if not view.chart.empty:
        title = tr("experience.chart.level", level=tr(f"experience.drill.level.{level}"))
        st.altair_chart(interval_chart(view.chart, lang, title), key="level_chart", selection_mode="pick",
                        on_select=lambda: _drill_click(keys, "level_chart"), width="stretch")
    st.dataframe(ui.shown(table[LEVEL_COLS]), hide_index=True, key="level_table", selection_mode="single-row",
                 on_select=lambda: _drill_click(keys), column_config=ui.columns_config(
                     LEVEL_COLS, percent=("share_disappointed",), signed=("gap", "ci_low", "ci_high"), help_keys=HELP))
    names = view.names
    widget = f"drill_pick_{level}"  # one picker per level: a choice made above never leaks into the next
    st.selectbox(tr("experience.drill.pick"), keys, index=None, key=widget, on_change=_drill_pick,
                 args=(names, widget), format_func=lambda k: str(names.get(k, k)),
                 placeholder=tr("experience.drill.choose"))
    ui.downloads(table, f"drill_{level}")


def _responses(view: DrilldownView) -> None:
    st.text_input(tr("experience.responses.search"), key=ui.SEARCH_KEY, max_chars=200,
                  on_change=lambda: st.session_state.update({ui.PAGE_KEY: 1}))
    if view.outside_selection:
        st.warning(tr("experience.drill.outside"))
        return
    page = view.responses
    if page is None:
        return
    if st.session_state.get(ui.PAGE_KEY, 1) != page.page:  # a link to a page that no longer exists
        st.session_state[ui.PAGE_KEY] = page.page
    st.caption(tr("experience.responses.count", total=page.total, page=page.page, pages=page.pages))
    st.number_input(tr("experience.responses.page"), min_value=1, max_value=max(page.pages, 1), step=1,
                    key=ui.PAGE_KEY)
    cols = list(page.rows.columns)
    # comments are user text: shown as plain text cells, never rendered as HTML or Markdown
    st.dataframe(ui.shown(page.rows), hide_index=True, column_config=ui.columns_config(cols))
    comments = view.comments
    if not comments.empty:  # the comments in full, as plain text (a table cell cuts long ones off)
        st.markdown(f"**{tr('experience.responses.comments')}**")
        st.text("\n".join(f"{r.visit_date} · {r.site} · {r.person} · {r.tier}: {r.comment}"
                           for r in comments.itertuples()))
    if page.total:
        export = cached(drilldown_export, ctx.filters, lang, state=state,
                        search=st.session_state.get(ui.SEARCH_KEY, ""))
        ui.downloads(export.rows, "responses")


st.title(tr("experience.page.touchpoints"))
st.caption(tr("experience.touchpoints.intro"))
view = st.segmented_control(tr("experience.view.label"), list(VIEWS), key=VIEW_KEY, required=True,
                            format_func=lambda v: t(f"experience.view.{v}", lang))
try:
    {"map": _map_view, "matrix": _matrix_view, "compare": _compare_view, "drill": _drill_view}[view or "map"]()
except ValueError:
    st.warning(tr("experience.drill.outside"))
except Exception as exc:  # a clear message instead of a traceback
    ui.show_error(exc)
ui.to_url({VIEW_KEY: "map", "tp_trend": 0, "cmp_by": "site", "cmp_key": 0, "tp_rank": 0, ui.SEARCH_KEY: "",
           ui.PAGE_KEY: 1})
