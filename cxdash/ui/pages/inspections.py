"""Inspections (Improve): weak items with the survey gap beside them, heat map, site visits, trends, checklist."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from cxdash.charts.improve import correlation_chart, heatmap_chart, trend_chart, weak_items_chart
from cxdash.formatting import display_frame
from cxdash.improve.checklist import create_item, deactivate_item, update_item
from cxdash.improve.inspection_defaults import FREQUENCIES, METHODS, ROLES
from cxdash.improve.inspection_results import record_inspection
from cxdash.metrics.improve.weak_items import SiteCorrelation
from cxdash.ui import improve as ui
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.navigation import page_script
from cxdash.ui.text import plain
from cxdash.views.inspections import (
    checklist_view,
    correlation_view,
    heatmap_view,
    inspections_view,
    record_view,
    results_view,
)

VIEWS = ("weak", "heatmap", "record", "results", "checklist")
ctx = get_context()
lang = ctx.lang


def _weak_view() -> None:
    view = cached(inspections_view, ctx.filters, lang)
    weak = view.weak
    st.caption(tr("improve.help.weakness"))
    if weak.empty:
        st.info(tr("improve.weak.none"))
        return
    if view.equal_weights:
        st.caption(tr("improve.weak.equal_weights"))
    st.altair_chart(weak_items_chart(weak, lang), width="stretch")
    shown = weak[["touchpoint_name", "pain_point", "standard", "n", "sites", "mean_score", "importance_norm",
                  "weakness", "gap", "gap_ci_low", "gap_ci_high", "gap_n"]]
    # the weakness bar needs its number; every other figure is written by its formatter
    shown = display_frame(shown, lang, kinds={"weakness": None, "importance_norm": "score"})
    picked = st.dataframe(shown, hide_index=True, key="weak_table", on_select="rerun", selection_mode="single-row",
                          column_config=_weak_columns())
    ui.downloads(weak, "weak_items")
    rows = picked.selection.rows if picked is not None and hasattr(picked, "selection") else []
    chosen = weak.iloc[rows[0] if rows else 0]
    st.caption(tr("improve.weak.pick", item=plain(f"{chosen['touchpoint_code']} · {chosen['pain_point']}")))
    if ui.can(ui.EDIT_PLANS) and st.button(tr("improve.weak.make_plan"), icon=":material/add_task:", type="primary",
                                           key="weak_make_plan"):
        ui.go("pages/action_plans.py", {"plan_view": "create", "create_source": "weak_item",
                                        "create_item": int(chosen["item_id"])})
    tp = _correlation_choice(view.touchpoints)
    _correlation(view.correlation if tp is None else cached(correlation_view, ctx.filters, lang, touchpoint_id=tp))


def _weak_columns() -> dict:
    return {
        "touchpoint_name": tr("improve.col.touchpoint"), "pain_point": tr("improve.col.pain_point"),
        "standard": tr("improve.col.standard"), "n": tr("improve.col.n"), "sites": tr("improve.col.sites"),
        "mean_score": tr("improve.col.mean_score"),
        "importance_norm": st.column_config.Column(tr("improve.col.importance"), help=tr("improve.help.importance")),
        "weakness": st.column_config.ProgressColumn(tr("improve.col.weakness"), format="%.3f", min_value=0.0,
                                                    max_value=1.0, help=tr("improve.help.weakness")),
        "gap": st.column_config.Column(tr("improve.col.gap"), help=tr("improve.help.gap")),
        "gap_ci_low": tr("improve.col.ci_low"),
        "gap_ci_high": tr("improve.col.ci_high"),
        "gap_n": tr("improve.col.gap_n"),
    }


def _correlation_choice(names: dict[int, str]) -> int | None:
    st.subheader(tr("improve.corr.title"))
    st.caption(tr("improve.help.correlation"))
    tp = st.selectbox(tr("improve.corr.touchpoint"), [None, *names], key="corr_tp",
                      format_func=lambda v: tr("improve.corr.all") if v is None else names[v])
    return None if tp is None else int(tp)


def _correlation(corr: SiteCorrelation) -> None:
    c1, c2, c3 = st.columns(3)
    c1.metric(tr("improve.corr.sites"), corr.n_sites)
    c2.metric(tr("improve.corr.pearson"), ui.fmt(corr.pearson_r), help=tr("improve.help.pearson"))
    c2.caption(tr("improve.corr.p", p=ui.fmt(corr.pearson_p, ".3f")))
    c3.metric(tr("improve.corr.spearman"), ui.fmt(corr.spearman_rho), help=tr("improve.help.spearman"))
    c3.caption(tr("improve.corr.p", p=ui.fmt(corr.spearman_p, ".3f")))
    if corr.n_sites < 3 or pd.isna(corr.pearson_p):
        st.info(tr("improve.corr.too_few"))
    elif corr.pearson_p < 0.05 and corr.pearson_r > 0:
        st.success(tr("improve.corr.agrees"))
    else:
        st.warning(tr("improve.corr.no_evidence"))
    if not corr.pairs.empty:
        st.altair_chart(correlation_chart(corr.pairs, lang), width="stretch")


def _heatmap_view() -> None:
    st.caption(tr("improve.help.heatmap"))
    data = cached(heatmap_view, ctx.filters, lang).heatmap
    if data.empty:
        st.info(tr("improve.results.none"))
        return
    st.altair_chart(heatmap_chart(data, lang), width="stretch")
    ui.downloads(data, "inspection_heatmap")


def _record_view() -> None:
    if not ui.can(ui.RECORD_INSPECTION):
        st.info(tr("improve.err.not_allowed"))
        return
    view = cached(record_view, ctx.filters, lang)
    sites, items = view.sites, view.items
    if sites.empty or items.empty:
        st.info(tr("improve.record.nothing"))
        return
    if ui.can("upload"):
        st.page_link(page_script("upload.py"), label=tr("improve.record.upload"), icon=":material/upload_file:")
    site_names = dict(zip(sites["id"], sites["name"], strict=True))
    tps = list(dict.fromkeys(items["touchpoint_name"]))
    chosen = st.multiselect(tr("improve.record.touchpoints"), tps, default=tps, key="rec_tps",
                            placeholder=tr("improve.create.choose"))
    with st.form("inspection_form", clear_on_submit=True):
        st.caption(tr("improve.record.help"))
        c1, c2, c3 = st.columns(3)
        site_id = c1.selectbox(tr("improve.col.site"), list(site_names), format_func=site_names.get, key="rec_site")
        day = c2.date_input(tr("improve.record.date"), value=date.today(), max_value=date.today(), key="rec_date")
        inspector = c3.text_input(tr("improve.col.inspector"), key="rec_inspector")
        scores: dict[int, float | None] = {}
        for tp_name, group in items[items["touchpoint_name"].isin(chosen)].groupby("touchpoint_name", sort=False):
            st.markdown(f"**{plain(tp_name)}**")
            for row in group.itertuples():
                scores[int(row.id)] = st.number_input(
                    plain(f"{row.code} · {row.pain_point}"), min_value=0.0, max_value=10.0, value=None, step=0.5,
                    help=f"{tr('improve.col.standard')}: {plain(row.standard, 1000)}", key=f"rec_score_{row.id}",
                )
        note = st.text_area(tr("improve.col.note"), key="rec_note")
        submitted = st.form_submit_button(tr("improve.record.submit"), type="primary")
    if submitted:
        ids = ui.write(record_inspection, site_id=int(site_id), inspected_on=day, scores=scores,
                       inspector=inspector, note=note)
        if ids:
            ui.done(tr("improve.record.saved", n=len(ids), site=plain(site_names[site_id])))


def _results_view() -> None:
    picked = st.session_state.get("res_tp")  # the view is computed before its choice is drawn
    view = cached(results_view, ctx.filters, lang, touchpoint_id=picked)
    names = view.touchpoints
    tp = st.selectbox(tr("improve.col.touchpoint"), [None, *names], key="res_tp",
                      format_func=lambda v: tr("improve.corr.all") if v is None else names[v])
    if tp != view.touchpoint_id:  # the widget dropped a touchpoint its options no longer hold
        view = cached(results_view, ctx.filters, lang, touchpoint_id=None if tp is None else int(tp))
    trend = view.trend
    if trend.empty:
        st.info(tr("improve.results.none"))
        return
    st.altair_chart(trend_chart(trend, lang), width="stretch")
    rows = view.results
    st.dataframe(display_frame(rows.drop(columns=["id", "site_id", "item_id"]), lang, kinds={"score": "number"}),
                 hide_index=True, key="res_table", column_config={
        "inspected_on": tr("improve.record.date"), "site_name": tr("improve.col.site"),
        "item_code": tr("improve.col.item"), "touchpoint_code": tr("improve.col.code"),
        "touchpoint_name": tr("improve.col.touchpoint"), "pain_point": tr("improve.col.pain_point"),
        "score": tr("improve.col.score"),
        "inspector": tr("improve.col.inspector"), "note": tr("improve.col.note"),
    })
    ui.downloads(rows, "inspections")


def _checklist_view() -> None:
    view = cached(checklist_view, ctx.filters, lang)
    items = view.items
    shown = items.assign(
        method=[ui.code_label("improve.method", v) for v in items["method"]],
        frequency=[ui.code_label("improve.frequency", v) for v in items["frequency"]],
        responsible_role=[ui.code_label("improve.role", v) for v in items["responsible_role"]],
    )
    st.dataframe(shown.drop(columns=["id", "touchpoint_id"]), hide_index=True, key="checklist_table", column_config={
        "code": tr("improve.col.item"), "touchpoint_code": tr("improve.col.code"),
        "touchpoint_name": tr("improve.col.touchpoint"), "pain_point": tr("improve.col.pain_point"),
        "standard": tr("improve.col.standard"), "method": tr("improve.col.method"),
        "frequency": tr("improve.col.frequency"), "responsible_role": tr("improve.col.role"),
        "active": tr("improve.col.active"),
    })
    ui.downloads(shown, "checklist")
    if not ui.can(ui.EDIT_CHECKLIST):
        return
    tp_names = view.touchpoints
    if not items.empty:  # a new installation has none to edit yet
        with st.expander(tr("improve.checklist.edit")):
            labels = dict(zip(items["id"], items["code"] + " · " + items["pain_point"], strict=True))
            item_id = st.selectbox(tr("improve.col.item"), list(labels), format_func=labels.get, key="cl_edit_item")
            _item_form(items.set_index("id").loc[item_id], tp_names, int(item_id))
    if not tp_names:  # every item checks a touchpoint: the catalog comes first
        st.info(tr("improve.checklist.no_touchpoints"), icon=":material/info:")
        return
    with st.expander(tr("improve.checklist.add")):
        _item_form(None, tp_names, None)


def _item_form(row: pd.Series | None, tp_names: dict, item_id: int | None) -> None:
    suffix = f"edit_{item_id}" if item_id is not None else "new"
    with st.form(f"item_form_{suffix}"):
        tp_ids = list(tp_names)
        tp = st.selectbox(tr("improve.col.touchpoint"), tp_ids, format_func=tp_names.get, key=f"cl_tp_{suffix}",
                          index=tp_ids.index(row["touchpoint_id"]) if row is not None else 0)
        pain = st.text_input(tr("improve.col.pain_point"), value="" if row is None else row["pain_point"])
        standard = st.text_area(tr("improve.col.standard"), value="" if row is None else row["standard"])
        c1, c2, c3 = st.columns(3)
        method = c1.selectbox(tr("improve.col.method"), METHODS, format_func=lambda v: tr(f"improve.method.{v}"),
                              index=METHODS.index(row["method"]) if row is not None and row["method"] in METHODS else 0)
        freq = c2.selectbox(tr("improve.col.frequency"), FREQUENCIES,
                            format_func=lambda v: tr(f"improve.frequency.{v}"),
                            index=FREQUENCIES.index(row["frequency"])
                            if row is not None and row["frequency"] in FREQUENCIES else 0)
        role = c3.selectbox(tr("improve.col.role"), ROLES, format_func=lambda v: tr(f"improve.role.{v}"),
                            index=ROLES.index(row["responsible_role"])
                            if row is not None and row["responsible_role"] in ROLES else 2)
        retire = st.checkbox(tr("improve.checklist.retire")) if row is not None and row["active"] else False
        if st.form_submit_button(tr("improve.checklist.save")):
            values = {"touchpoint_id": int(tp), "pain_point": pain, "standard": standard, "method": method,
                      "frequency": freq, "responsible_role": role}
            if item_id is None:
                ok = ui.write(create_item, lang=lang, **values) is not None
            else:
                ok = ui.write(update_item, item_id, values, lang=lang) is not None
                if ok and retire:
                    ok = ui.write(deactivate_item, item_id) is not None
            if ok:
                ui.done(tr("improve.checklist.saved"))


st.title(tr("improve.page.inspections"))
ui.start_page()
view = ui.view_control("insp_view", VIEWS, "improve.view")
{"weak": _weak_view, "heatmap": _heatmap_view, "record": _record_view, "results": _results_view,
 "checklist": _checklist_view}[view]()
