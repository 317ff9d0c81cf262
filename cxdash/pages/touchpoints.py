"""Touchpoint gaps: journey map and gap table, importance-performance matrix and gap trend, comparisons, and the
drill-down from a stage to the responses behind a number (state in the URL)."""

from __future__ import annotations

import streamlit as st

from cxdash import formatting as fmt
from cxdash.charts.gaps import gap_trend_chart, interval_chart, ipa_chart, journey_map
from cxdash.i18n import t
from cxdash.metrics.comparisons import group_vs_rest, unit_ranking
from cxdash.metrics.drilldown import DrillState, breadcrumb, level_table, outside_scope
from cxdash.metrics.gap_trend import gap_trend
from cxdash.metrics.gaps import gap_table
from cxdash.metrics.ipa import ipa_matrix
from cxdash.metrics.response_list import response_export, response_list
from cxdash.metrics.tier_analysis import tier_breakdown
from cxdash.ui import experience as ui
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain

VIEWS = ("map", "matrix", "compare", "drill")
VIEW_KEY = "tp_view"
UNITS = ("site", "team")
GAP_COLS = ["stage_name", "touchpoint_name", "n", "mean_p", "mean_e", "gap", "gap_points", "scale", "ci_low",
            "ci_high", "q_value", "wilcoxon_p", "share_disappointed", "importance", "importance_source", "low_sample"]
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
    table = cached(gap_table, ctx.filters, lang)
    if table["n"].sum() == 0:
        st.info(tr("app.no_data"))
        return
    st.caption(tr("experience.map.help"))
    st.altair_chart(journey_map(table, lang), key="journey_map", on_select=_on_map_click, selection_mode="pick")
    weak = table[table["significant"] & (table["gap"] < 0)].sort_values("gap")
    if not weak.empty:
        st.markdown(f"**{tr('experience.map.shortfalls')}**")
        st.text("\n".join(f"{r.touchpoint_code}  {r.touchpoint_name}  {fmt.gap(r.gap)}  ({fmt.p_value(r.q_value, prefix=True).replace('p ', 'q ', 1)}, n = {fmt.count(r.n)})"
                           for r in weak.itertuples()))
    ids = table.loc[table["n"] > 0, "touchpoint_id"].tolist()
    names = dict(zip(table["touchpoint_id"], table["touchpoint_name"], strict=True))
    stages = dict(zip(table["touchpoint_id"], table["stage_code"], strict=True))
    st.selectbox(tr("experience.drill.open"), ids, index=None, key="map_open", format_func=lambda i: names[i],
                 placeholder=tr("experience.drill.choose"), on_change=_on_map_open, args=(stages,))
    st.subheader(tr("experience.gap_table.title"))
    shown = table[GAP_COLS].copy()
    shown["importance_source"] = [t(f"experience.importance.{s}", lang) if isinstance(s, str) else ""
                                  for s in shown["importance_source"]]
    st.dataframe(ui.shown(shown), hide_index=True, key="gap_table", selection_mode="single-row",
                 on_select=lambda: _on_table_click(table["touchpoint_id"].tolist(), table["stage_code"].tolist()),
                 column_config=ui.columns_config(GAP_COLS, percent=("share_disappointed", "importance"),
                                                 signed=("gap", "gap_points", "ci_low", "ci_high"), help_keys=HELP))
    mixed = table[table["scale_mixed"] & (table["n_pairs"] > 0)]
    if not mixed.empty:  # say why those cells are empty; the codes are catalog text, shown plain
        st.text(tr("experience.gaps.points_mixed", codes=", ".join(mixed["touchpoint_code"])))
    _importance_note(table)
    ui.downloads(table, "touchpoint_gaps")


def _importance_note(table) -> None:  # noqa: ANN001 - a DataFrame
    derived = table[table["importance_source"] == "derived"]
    if not derived.empty and "importance_r2" in table:
        r2, n, outcome = (derived[c].iloc[0] for c in ("importance_r2", "importance_n", "importance_outcome"))
        if r2 == r2:
            st.caption(tr("experience.importance.model", outcome=tr(f"experience.outcome.{outcome}"),
                          r2=f"{r2:.2f}", n=int(n)))


def _matrix_view() -> None:
    table = cached(gap_table, ctx.filters, lang)
    points, x_kind, x_cut, y_cut = ipa_matrix(table)
    if points.empty:
        st.info(tr("app.no_data"))
    else:
        st.caption(tr("experience.help.ipa"))
        st.altair_chart(ipa_chart(points, x_kind, x_cut, y_cut, lang), width="stretch")
        _importance_note(table)
    options = table.loc[table["n"] > 0, "touchpoint_id"].tolist()
    if not options:
        return
    names = dict(zip(table["touchpoint_id"], table["touchpoint_name"], strict=True))
    if st.session_state.get("tp_trend") not in options:
        st.session_state["tp_trend"] = options[0]
    tp = st.selectbox(tr("experience.trend.touchpoint"), options, key="tp_trend", format_func=lambda i: names[i])
    period = st.segmented_control(tr("experience.period.label"), ["month", "week"], default="month",
                                  key="tp_trend_period", format_func=lambda p: t(f"experience.period.{p}", lang))
    trend = cached(gap_trend, ctx.filters, int(tp), period or "month")
    if not trend.empty:
        st.altair_chart(gap_trend_chart(trend, names[tp], lang), width="stretch")


def _compare_view() -> None:
    by = st.segmented_control(tr("experience.compare.by"), list(UNITS), key="cmp_by", required=True,
                              format_func=lambda b: t(f"experience.by.{b}", lang))
    units = cached(tier_breakdown, ctx.filters, by, lang)
    units = units[units["key"].notna()]
    if units.empty:
        st.info(tr("app.no_data"))
        return
    keys = [int(k) for k in units["key"]]
    names = dict(zip(keys, units["name"], strict=True))
    if st.session_state.get("cmp_key") not in keys:
        st.session_state["cmp_key"] = keys[0]
    key = st.selectbox(tr("experience.compare.unit"), keys, key="cmp_key", format_func=lambda k: names[k])
    st.subheader(tr("experience.compare.vs_rest", name=plain(names[key])))
    st.caption(tr("experience.help.compare"))
    cmp = cached(group_vs_rest, ctx.filters, by, int(key), lang)
    chart_data = cmp.dropna(subset=["diff"]).rename(columns={"touchpoint_name": "name"})
    if not chart_data.empty:
        st.altair_chart(interval_chart(chart_data, lang, tr("experience.chart.compare"), value="diff",
                                       key="touchpoint_id", axis_key="experience.axis.diff"), width="stretch")
    cols = ["stage_name", "touchpoint_name", "n_group", "gap_group", "n_rest", "gap_rest", "diff", "ci_low",
            "ci_high", "p_value", "significant", "low_sample"]
    st.dataframe(ui.shown(cmp[cols]), hide_index=True, column_config=ui.columns_config(
        cols, signed=("gap_group", "gap_rest", "diff", "ci_low", "ci_high")))
    ui.downloads(cmp, f"compare_{by}_{key}")
    _ranking(by)


def _ranking(by: str) -> None:
    table = cached(gap_table, ctx.filters, lang)
    options = table.loc[table["n"] > 0, "touchpoint_id"].tolist()
    names = dict(zip(table["touchpoint_id"], table["touchpoint_name"], strict=True))
    if st.session_state.get("tp_rank") not in options:
        worst = table.loc[table["n"] > 0].sort_values("gap")["touchpoint_id"]
        st.session_state["tp_rank"] = int(worst.iloc[0])
    tp = st.selectbox(tr("experience.trend.touchpoint"), options, key="tp_rank", format_func=lambda i: names[i])
    rank = cached(unit_ranking, ctx.filters, int(tp), by, lang)
    if rank.empty:
        return
    title = tr("experience.chart.ranking", by=tr(f"experience.by.{by}"), tp=names[tp])
    st.altair_chart(interval_chart(rank, lang, title), width="stretch")
    ui.downloads(rank, f"ranking_{by}_{tp}")


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
    ui.breadcrumb(cached(breadcrumb, state, lang, ctx.filters), VIEW_KEY)
    if cached(outside_scope, state, ctx.filters):
        st.warning(tr("experience.drill.outside_scope"), icon=":material/lock:")
        return
    level = state.level
    st.subheader(tr(f"experience.drill.level.{level}"))
    if level == "responses":
        _responses()
        return
    table = cached(level_table, ctx.filters, state, lang)
    if table.empty:
        st.info(tr("experience.drill.empty"))
        return
    st.caption(tr("experience.drill.hint"))
    keys = table["key"].tolist()
    chart = table.assign(key=table["key"].astype(str)).dropna(subset=["gap"])
    if not chart.empty:
        title = tr("experience.chart.level", level=tr(f"experience.drill.level.{level}"))
        st.altair_chart(interval_chart(chart, lang, title), key="level_chart", selection_mode="pick",
                        on_select=lambda: _drill_click(keys, "level_chart"), width="stretch")
    cols = ["name", "n", "gap", "ci_low", "ci_high", "q_value", "share_disappointed", "low_sample"]
    st.dataframe(ui.shown(table[cols]), hide_index=True, key="level_table", selection_mode="single-row",
                 on_select=lambda: _drill_click(keys), column_config=ui.columns_config(
                     cols, percent=("share_disappointed",), signed=("gap", "ci_low", "ci_high"), help_keys=HELP))
    names = dict(zip(keys, table["name"], strict=True))
    widget = f"drill_pick_{level}"  # one picker per level: a choice made above never leaks into the next
    st.selectbox(tr("experience.drill.pick"), keys, index=None, key=widget, on_change=_drill_pick,
                 args=(names, widget), format_func=lambda k: str(names.get(k, k)),
                 placeholder=tr("experience.drill.choose"))
    ui.downloads(table, f"drill_{level}")


def _responses() -> None:
    st.text_input(tr("experience.responses.search"), key=ui.SEARCH_KEY, max_chars=200,
                  on_change=lambda: st.session_state.update({ui.PAGE_KEY: 1}))
    search = st.session_state.get(ui.SEARCH_KEY, "")
    page = cached(response_list, ctx.filters, state, search, int(st.session_state.get(ui.PAGE_KEY, 1)), 50, lang)
    if st.session_state.get(ui.PAGE_KEY, 1) != page.page:  # a link to a page that no longer exists
        st.session_state[ui.PAGE_KEY] = page.page
    st.caption(tr("experience.responses.count", total=page.total, page=page.page, pages=page.pages))
    st.number_input(tr("experience.responses.page"), min_value=1, max_value=max(page.pages, 1), step=1,
                    key=ui.PAGE_KEY)
    cols = list(page.rows.columns)
    # comments are user text: shown as plain text cells, never rendered as HTML or Markdown
    st.dataframe(ui.shown(page.rows), hide_index=True, column_config=ui.columns_config(cols))
    comments = page.rows[page.rows["comment"].astype(str).str.len() > 0]
    if not comments.empty:  # the comments in full, as plain text (a table cell cuts long ones off)
        st.markdown(f"**{tr('experience.responses.comments')}**")
        st.text("\n".join(f"{r.visit_date} · {r.site} · {r.person} · {r.tier}: {r.comment}"
                           for r in comments.itertuples()))
    if page.total:
        ui.downloads(cached(response_export, ctx.filters, state, search, lang), "responses")


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
