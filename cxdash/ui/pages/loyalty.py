"""Loyalty: NPS with its interval and group shares, CSAT and CES; trends with interval bands and every change
judged; breakdowns with low-sample marks; effort and loyalty; service failures and loyalty."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cxdash.charts.loyalty import breakdown_chart, effort_chart, failures_chart, trend_chart
from cxdash.code_labels import code_label
from cxdash.formatting import display_frame
from cxdash.i18n import t
from cxdash.metrics.loyalty.effort import DIMENSIONS
from cxdash.metrics.loyalty.figures import BREAKDOWNS, KPIS, PERIODS, LoyaltySummary
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.loyalty import churn_mode
from cxdash.ui.url_state import from_url, to_url
from cxdash.ui.widgets import download_buttons, show_error
from cxdash.views.loyalty import LoyaltyView, breakdowns_view, effort_view, failures_view, loyalty_view

VIEWS = ("trends", "breakdowns", "effort", "failures")
ctx = get_context()
lang = ctx.lang


def _fmt(kpi: str, value: float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    if kpi in ("nps",):
        return f"{value:.1f}"
    if kpi == "ces":
        return f"{value:.2f}"
    return f"{value:.1%}"


def _delta(kpi: str, value: float | None) -> str | None:
    if value is None or pd.isna(value):
        return None
    if kpi in ("nps",):
        return f"{value:+.1f}"
    if kpi == "ces":
        return f"{value:+.2f}"
    return f"{value * 100:+.1f} pp"


def _card(col: st.delta_generator.DeltaGenerator, s: LoyaltySummary, kpi: str) -> None:
    value, n, low, high = s.current.values()[kpi]
    change = s.changes.get(kpi)
    verdict = None
    if change is not None and change.significant is not None:
        verdict = tr("loyalty.verdict.significant" if change.significant else "loyalty.verdict.within_noise")
    lower_better = kpi in ("detractors", "passives")
    colour = "off" if not (change and change.significant) else ("inverse" if lower_better else "normal")
    with col.container(border=True):
        st.metric(tr(f"loyalty.kpi.{kpi}"), _fmt(kpi, value), delta=_delta(kpi, change.delta if change else None),
                  delta_color=colour, delta_description=verdict, help=tr(f"loyalty.help.{kpi}"))  # type: ignore[arg-type]
        if low is not None and high is not None:
            st.caption(tr("loyalty.interval", low=_fmt(kpi, low), high=_fmt(kpi, high), n=f"{n:,}"))
        if 0 < n < 30:
            st.caption(f":orange[:material/warning: {tr('loyalty.low_sample', n=n)}]")


def _cards(s: LoyaltySummary) -> None:
    row1 = st.columns(4)
    for col, kpi in zip(row1, ("nps", "promoters", "passives", "detractors"), strict=True):
        _card(col, s, kpi)
    row2 = st.columns(3)
    for col, kpi in zip(row2, ("csat", "ces", "ces_easy"), strict=True):
        _card(col, s, kpi)
    if s.ces_sampled:
        st.caption(tr("loyalty.ces_sampled", n=f"{s.current.ces.n:,}"))


def _trends(lv: LoyaltyView) -> None:
    c1, c2 = st.columns(2)
    # the view was computed for this control's value (its session state) before the cards were drawn
    c1.segmented_control(tr("loyalty.period.label"), list(PERIODS), key="loy_period",
                         required=True, format_func=lambda p: t(f"loyalty.period.{p}", lang))
    kpi = c2.selectbox(tr("loyalty.kpi.label"), list(KPIS), key="loy_kpi", format_func=lambda k: t(f"loyalty.kpi.{k}", lang))
    trend = lv.trend
    if trend.empty:
        st.info(tr("loyalty.no_data"))
        return
    st.altair_chart(trend_chart(trend, kpi, lang, lv.period), width="stretch")
    st.caption(tr("loyalty.help.trend"))
    shown = lv.trend_of(kpi)
    shown = shown.assign(significant=[None if pd.isna(v) else tr("loyalty.verdict.significant" if v else "loyalty.verdict.within_noise")
                                      for v in shown["significant"]])
    value_kind = {"nps": "nps", "ces": "score"}.get(kpi, "percent")  # the other KPIs are shares
    shown = display_frame(shown, lang, kinds=dict.fromkeys(("value", "ci_low", "ci_high", "delta", "threshold"),
                                                           value_kind))
    st.dataframe(shown, hide_index=True, column_config={c: tr(f"loyalty.col.{c}") for c in shown.columns})
    download_buttons(trend, f"loyalty_trend_{lv.period}")


def _breakdowns() -> None:
    c1, c2 = st.columns(2)
    by = c1.selectbox(tr("loyalty.by.label"), list(BREAKDOWNS), key="loy_by", format_func=lambda b: t(f"loyalty.by.{b}", lang))
    metric = c2.segmented_control(tr("loyalty.kpi.label"), ["nps", "csat", "ces"], key="loy_metric",
                                  required=True, format_func=lambda k: t(f"loyalty.kpi.{k}", lang))
    bd = cached(breakdowns_view, ctx.filters, lang, by=by).table
    if bd.empty:
        st.info(tr("loyalty.no_data"))
        return
    st.altair_chart(breakdown_chart(bd, metric or "nps", lang, by), width="stretch")
    st.caption(tr("loyalty.help.breakdown"))
    st.dataframe(display_frame(bd.drop(columns=["key"]), lang, kinds={"ces": "score", "ces_ci_low": "score",
                                                                      "ces_ci_high": "score"}), hide_index=True,
                 column_config={c: tr(f"loyalty.col.{c}") for c in bd.columns if c != "key"})
    download_buttons(bd, f"loyalty_by_{by}")


def _effort() -> None:
    st.caption(tr("loyalty.help.effort"))
    ev = cached(effort_view, ctx.filters, lang, churn_mode=churn_mode())
    easy, hard, diff = ev.easy, ev.hard, ev.diff
    if diff.delta is not None:
        st.info(tr("loyalty.effort.headline", easy=_fmt("nps", easy.score), hard=_fmt("nps", hard.score),
                   delta=_fmt("nps", diff.delta), low=_fmt("nps", diff.ci_low), high=_fmt("nps", diff.ci_high)))
    res = ev.effort
    st.caption(ev.rule_line)  # the rule behind "churn"
    if res.table.empty:
        st.info(tr("loyalty.no_data"))
        return
    dim = st.segmented_control(tr("loyalty.effort.label"), list(DIMENSIONS), key="loy_effort",
                               required=True, format_func=lambda d: t(f"loyalty.effort.{d}", lang))
    cols = st.columns(3)
    for col, measure in zip(cols, ("nps", "detractors", "churn"), strict=True):
        col.altair_chart(effort_chart(res.table, dim or "ces", measure, lang), width="stretch")
    st.caption(tr("loyalty.sizes", responses=f"{res.responses:,}", customers=f"{res.customers:,}")
               + (" " + tr("loyalty.sampled_of", total=f"{res.total:,}") if res.sampled else ""))
    shown = res.table.assign(dimension=[code_label("measure", d, lang) for d in res.table["dimension"]],
                             level=[t(f"loyalty.level.{v}", lang) if v in ("yes", "no") else v for v in res.table["level"]])
    st.dataframe(display_frame(shown, lang), hide_index=True, column_config={c: tr(f"loyalty.col.{c}") for c in shown.columns})
    download_buttons(res.table, "loyalty_effort")


def _failures() -> None:
    st.caption(tr("loyalty.help.failures"))
    res = cached(failures_view, ctx.filters, lang, churn_mode=churn_mode()).failures
    table = res.table
    if table["n"].sum() == 0:
        st.info(tr("loyalty.no_data"))
        return
    rows = table.set_index("group")
    bad, good = rows.loc["breached"], rows.loc["went_right"]
    if pd.notna(bad["nps_diff"]):
        st.info(tr("loyalty.failures.headline", bad=_fmt("nps", bad["nps"]), good=_fmt("nps", good["nps"]),
                   delta=_fmt("nps", bad["nps_diff"]), low=_fmt("nps", bad["nps_diff_low"]),
                   high=_fmt("nps", bad["nps_diff_high"]), churn_bad=_fmt("churn", bad["churn"]),
                   churn_good=_fmt("churn", good["churn"])))
    cols = st.columns(3)
    for col, measure in zip(cols, ("nps", "csat", "churn"), strict=True):
        col.altair_chart(failures_chart(table, measure, lang), width="stretch")
    st.caption(tr("loyalty.sizes", responses=f"{res.responses:,}", customers=f"{res.customers:,}")
               + (" " + tr("loyalty.sampled_of", total=f"{res.total:,}") if res.sampled else ""))
    shown = table.assign(group=[t(f"loyalty.failure.{g}", lang) for g in table["group"]])
    st.dataframe(display_frame(shown, lang), hide_index=True, column_config={c: tr(f"loyalty.col.{c}") for c in shown.columns})
    download_buttons(table, "loyalty_failures")


# The chosen view and its settings live in the URL (as codes), so a copied link opens the same view.
URL_STATE = {"loy_view": (VIEWS, "trends"), "loy_period": (PERIODS, "month"), "loy_kpi": (KPIS, "nps"),
             "loy_by": (tuple(BREAKDOWNS), "region"), "loy_metric": (("nps", "csat", "ces"), "nps"),
             "loy_effort": (DIMENSIONS, "ces")}
for _key, (_options, _default) in URL_STATE.items():
    from_url(_key, _options, _default)
st.title(tr("loyalty.page.loyalty"))
try:
    main = cached(loyalty_view, ctx.filters, lang, period=st.session_state.get("loy_period") or "month")
    _cards(main.summary)
    view = st.segmented_control(tr("loyalty.view.label"), list(VIEWS), key="loy_view",
                                required=True, format_func=lambda v: t(f"loyalty.view.{v}", lang))
    {"trends": lambda: _trends(main), "breakdowns": _breakdowns, "effort": _effort,
     "failures": _failures}[view or "trends"]()
except Exception as exc:  # noqa: BLE001 - any failure becomes a translated message instead of a stack trace
    show_error(exc)
to_url({k: v[1] for k, v in URL_STATE.items()})
