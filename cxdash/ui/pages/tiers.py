"""Satisfaction tiers: shares over time and by unit, chi-square comparisons in words, what each tier is worth,
and the tolerance setting."""

from __future__ import annotations

import streamlit as st

from cxdash import formatting as fmt
from cxdash.charts.experience import tier_breakdown_chart, tier_trend_chart, tier_value_chart
from cxdash.domain.tiers import TIER_NAMES as TIERS
from cxdash.i18n import t
from cxdash.metrics.experience.tier_analysis import BREAKDOWNS
from cxdash.metrics.experience.tier_settings import change_tolerance, tolerance_in_points
from cxdash.ui import experience as ui
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.loyalty import churn_control, churn_mode
from cxdash.views.tiers import TiersView, tiers_view

EDITORS = ("admin", "cx_lead")
ctx = get_context()
lang = ctx.lang
ui.from_url("tier_period", ("month", "week"), "month")
ui.from_url("tier_by", tuple(BREAKDOWNS), "site")
ui.from_url("tier_group", None, "")


def _view() -> TiersView:
    """The page's figures for the widgets' current state (read before they are drawn; the URL seeded them)."""
    return cached(tiers_view, ctx.filters, lang, period=st.session_state.get("tier_period") or "month",
                  by=st.session_state.get("tier_by") or "site", group=st.session_state.get("tier_group") or None,
                  churn_mode=churn_mode())


def _tolerance(view: TiersView) -> bool:
    """The tolerance and, for editors, its form; True when it was just changed (the figures below re-tiered)."""
    share = view.tolerance
    st.markdown(f"**{tr('experience.tolerance.label')}:** "
                + tr("experience.tolerance.value", points=f"{tolerance_in_points(share):g}", share=f"{share:.1%}"),
                help=tr("experience.tolerance.help"))
    if ctx.role not in EDITORS:
        return False
    with st.expander(tr("experience.tolerance.input")), st.form("tolerance_form"):
        points = st.number_input(tr("experience.tolerance.input"), min_value=0.0, max_value=2.9, step=0.1,
                                 value=float(round(tolerance_in_points(share), 3)))
        if st.form_submit_button(tr("experience.tolerance.save")):
            changed = change_tolerance(ctx.engine, points)
            st.success(tr("experience.tolerance.saved", n=changed))
            return True
    return False


def _trend(view: TiersView) -> None:
    st.segmented_control(tr("experience.period.label"), ["month", "week"], key="tier_period", required=True,
                         format_func=lambda p: t(f"experience.period.{p}", lang))
    if view.trend.empty:
        st.info(tr("common.app.no_data"))
        return
    st.altair_chart(tier_trend_chart(view.trend, lang), width="stretch")


def _on_breakdown_click() -> None:
    key = ui.picked("tier_breakdown_chart", "key")
    if key is not None:
        st.session_state["tier_group"] = str(key)


def _breakdown(view: TiersView) -> None:
    by = st.selectbox(tr("experience.breakdown.label"), list(BREAKDOWNS), key="tier_by",
                      format_func=lambda b: t(f"experience.by.{b}", lang))
    wide = view.breakdown
    if wide.empty:
        return
    st.altair_chart(tier_breakdown_chart(wide, tr(f"experience.by.{by}"), lang), key="tier_breakdown_chart",
                    on_select=_on_breakdown_click, selection_mode="pick", width="stretch")
    shares = [f"share_{x}" for x in TIERS]
    cols = ["name", *TIERS, "n", *shares, "low_sample"]
    shown = ui.shown(wide[["name", *TIERS, "n", "low_sample"]])
    for x in TIERS:  # "45.3% (43.1–47.5%)": the share with its interval in one cell
        shown[f"share_{x}"] = [f"{fmt.percent(s)} ({fmt.percent(lo)}–{fmt.percent(hi)})" if s == s and lo == lo
                               else fmt.percent(s) for s, lo, hi in zip(
                                   wide[f"share_{x}"], wide[f"share_{x}_ci_low"], wide[f"share_{x}_ci_high"], strict=True)]
    st.dataframe(shown[cols], hide_index=True, column_config=ui.columns_config(
        cols, help_keys={c: "common.format.help.share_interval" for c in shares}))
    ui.downloads(wide, f"tiers_by_{by}")


def _comparisons(view: TiersView) -> None:
    st.subheader(tr("experience.compare.title"), help=tr("experience.help.chi_square"))
    st.markdown(f"**{tr('experience.compare.previous')}:** ")
    st.text(view.previous.sentence if view.previous is not None else tr("experience.compare.no_dates"))
    if view.group is None or view.group_compare is None:
        return
    names = view.groups
    st.session_state["tier_group"] = view.group  # the first unit when the one asked for is not in this breakdown
    st.selectbox(tr("experience.compare.pick"), list(names), key="tier_group", format_func=lambda k: names[k])
    st.markdown(f"**{tr('experience.compare.group')}:** ")
    st.text(view.group_compare.sentence)


def _value(view: TiersView) -> None:
    st.subheader(tr("experience.value.title"), help=tr("experience.value.help"))
    value = view.value
    if value["n"].sum() == 0:
        st.info(tr("common.app.no_data"))
        return
    st.altair_chart(tier_value_chart(value, lang))
    shown = value.assign(tier=[t(f"common.tier.{x}", lang) for x in value["tier"]])
    cols = list(shown.columns)
    st.dataframe(ui.shown(shown), hide_index=True, column_config=ui.columns_config(
        cols, percent=("csat", "csat_ci_low", "csat_ci_high", "revisit_rate", "churn_rate")))
    st.caption(tr("experience.value.sample_note", n_revisit=int(value["revisit_n"].sum()),
                  n_churn=int(value["churn_n"].sum())))
    if view.revisit_hint is not None:
        st.caption(tr(view.revisit_hint[0], **view.revisit_hint[1]))
    note = view.churn_note
    if note is not None:
        st.caption(tr("loyalty.churn.tier_value.note", as_of="-" if note.as_of is None else note.as_of.isoformat()))
        churn_control(note)
    ui.downloads(value, "tier_value")


st.title(tr("experience.page.tiers"))
st.caption(tr("experience.tiers.intro"), help=tr("experience.help.tier"))
try:
    page = _view()
    if _tolerance(page):
        page = _view()  # re-tiered just now: the figures below show the new tiers, the line above the old setting
    _trend(page)
    _breakdown(page)
    _comparisons(page)
    _value(page)
except Exception as exc:  # a clear message instead of a traceback
    ui.show_error(exc)
ui.to_url({"tier_period": "month", "tier_by": "site", "tier_group": ""})
