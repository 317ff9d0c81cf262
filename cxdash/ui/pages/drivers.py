"""Drivers: what moves likelihood to recommend (or CSAT), and what drives churn — churn rates, the odds-ratio
forest plot, Kaplan-Meier retention by tier, and the active customers most at risk (downloadable)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cxdash.auth import ACTIONS
from cxdash.charts.loyalty import bars_with_interval, churn_trend_chart, drivers_chart, forest_plot, km_chart
from cxdash.formatting import display_frame
from cxdash.i18n import t
from cxdash.metrics.loyalty.churn_definition import MODES, ChurnDefinition, set_definition
from cxdash.metrics.loyalty.churn_model import (
    CUSTOMER_LIST,
    MIN_EVENTS,
    OWN_DIMENSIONS,
    ChurnDrivers,
    term_label,
)
from cxdash.metrics.loyalty.drivers import OUTCOMES
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.loyalty import churn_control, churn_mode
from cxdash.ui.text import plain
from cxdash.ui.url_state import from_url, to_url
from cxdash.ui.widgets import download_buttons, fmt_value, show_error
from cxdash.views.drivers import churn_view, key_drivers_view

GROUP_DIMENSIONS = ("tier", "nps_group", "ces", "contacts", "transfers", "repeated", "sla_breach", "reopened",
                    "repeat_contact", *OWN_DIMENSIONS)
MAX_OWN_GROUPS = 30
ctx = get_context()
lang = ctx.lang


# How each numeric column reads: weights and p-values keep their significant digits, shares and risks as percent.
FORMATS = {"weight": "%.3f", "share": "percent", "odds_ratio": "%.2f", "ci_low": "%.2f", "ci_high": "%.2f",
           "p_value": "%.2g", "coef": "%.3f", "se": "%.3f", "risk": "percent"}


def _kinds(df: pd.DataFrame) -> dict[str, str | None]:
    """The formatter of each column with a format in FORMATS (an odds ratio's interval is not a gap's)."""
    by_format = {"percent": "percent", "%.2f": "score", "%.3f": "score3", "%.2g": "p", "%d": "count", "%.0f": "count"}
    return {c: by_format.get(FORMATS[c], "number") for c in df.columns if c in FORMATS}


def _columns(df: pd.DataFrame) -> dict[str, object]:
    """Translated headers (the figures are written by cxdash.formatting.display_frame)."""
    return {c: tr(f"loyalty.col.{c}") for c in df.columns}


def _drivers() -> None:
    st.subheader(tr("loyalty.drivers.title"), help=tr("loyalty.help.drivers"))
    outcome = st.segmented_control(tr("loyalty.drivers.outcome"), list(OUTCOMES), key="drv_outcome",
                                   required=True, format_func=lambda o: t(f"loyalty.outcome.{o}", lang))
    model = cached(key_drivers_view, ctx.filters, lang, outcome=outcome or "ltr").model
    if model.table.empty:
        st.info(tr("loyalty.no_data"))
        return
    st.altair_chart(drivers_chart(model.table, lang), width="stretch")
    top = model.table.head(5)
    names = [f"{i}\\. {plain(r.code) + ' ' if r.kind == 'touchpoint' else ''}{plain(r.name)} ({r.share:.0%})"
             for i, r in enumerate(top.itertuples(), start=1)]
    st.markdown(tr("loyalty.drivers.top", drivers=" · ".join(names)))
    st.caption(tr("loyalty.drivers.model", r2=f"{model.r2:.2f}", n=f"{model.n:,}"))
    shown = model.table.drop(columns=["driver"])
    shown = shown.assign(kind=[t(f"loyalty.driver_kind.{k}", lang) for k in shown["kind"]])
    st.dataframe(display_frame(shown, lang, _kinds(shown)), hide_index=True, column_config=_columns(shown))
    download_buttons(model.table, f"drivers_{outcome}", _columns(model.table))


def _definition_form(d: ChurnDefinition) -> None:
    if "edit_settings" not in ACTIONS.get(ctx.role, frozenset()):
        return
    with st.expander(tr("loyalty.churn.settings")), st.form("churn_definition"):
        mode = st.radio(tr("loyalty.churn.mode"), list(MODES), index=list(MODES).index(d.mode),
                        format_func=lambda m: t(f"loyalty.churn.mode.{m}", lang), horizontal=True)
        window = st.number_input(tr("loyalty.churn.window"), min_value=1, max_value=3650, value=d.window_days, step=1)
        if st.form_submit_button(tr("loyalty.churn.save")):
            try:
                set_definition(ctx.engine, ChurnDefinition(str(mode), int(window)), actor=ctx.user)
                st.success(tr("loyalty.churn.saved"))
            except ValueError as exc:
                st.error(tr("loyalty.churn.invalid", error=plain(exc, 1000)))


def _churn() -> None:
    st.subheader(tr("loyalty.churn.title"), help=tr("loyalty.help.churn"))
    view = cached(churn_view, ctx.filters, lang, churn_mode=churn_mode())
    churn_control(view.note)
    _definition_form(view.rule.definition)
    # The figure the rest of the section explains, as the overview's card computes it (same rule, same A).
    rate = view.rate
    if rate.n and rate.rate is not None:
        st.metric(tr("loyalty.kpi.churn"), fmt_value(rate.rate, "share"))
        st.caption(tr("loyalty.churn.rate.caption", k=f"{rate.k:,}", n=f"{rate.n:,}", low=fmt_value(rate.ci_low, "share"),
                      high=fmt_value(rate.ci_high, "share")))
    if not view.trend.empty:
        st.altair_chart(churn_trend_chart(view.trend, lang), width="stretch")
    for line in view.trend_lines:
        st.caption(line)
    dim = st.selectbox(tr("loyalty.churn.by"), list(GROUP_DIMENSIONS), key="drv_churn_by",
                       format_func=lambda g: t(f"loyalty.churn_dim.{g}", lang))
    res = view.drivers
    part = res.groups[res.groups["dimension"] == dim]
    if dim in OWN_DIMENSIONS:
        part = part.head(MAX_OWN_GROUPS)  # largest first: a brand's 1,000 sites do not fit one chart
    if not part.empty:
        # Segments and sites are the user's own names, shown as given; "none" is ours.
        names = [t(f"loyalty.group.{g}", lang) if dim not in OWN_DIMENSIONS or g == "none" else str(g)
                 for g in part["group"]]
        data = part.assign(group_name=names)
        st.altair_chart(bars_with_interval(data, "group_name", "rate", "ci_low", "ci_high", ".0%",
                                           t(f"loyalty.churn_dim.{dim}", lang), t("loyalty.kpi.churn", lang),
                                           t("loyalty.chart.churn_by", lang), sort=data["group_name"].tolist()),
                        width="stretch")
        st.caption(tr("loyalty.churn.sample", n=f"{int(part['n'].sum()):,}"))
    _model(res)


def _model(res: ChurnDrivers) -> None:
    st.subheader(tr("loyalty.model.title"), help=tr("loyalty.help.model"))
    model = res.model
    if model.table.empty:
        st.info(tr("loyalty.model.none", n=model.n, k=model.events))
        st.caption(tr("loyalty.churn.model.no_answers", min=MIN_EVENTS, n=model.n, k=model.events))
    else:
        st.altair_chart(forest_plot(model.table, lang), width="stretch")
        st.caption(tr("loyalty.model.caption", n=f"{model.n:,}", k=f"{model.events:,}", r2=f"{model.pseudo_r2:.3f}",
                      as_of=str(model.as_of)))
        if model.source == CUSTOMER_LIST:  # no survey answers to model on: say which of the list's fields it used
            st.caption(tr("loyalty.churn.model.from_list", features=", ".join(t(f"loyalty.churn.feature.{f}", lang)
                                                                      for f in model.features)))
        if not model.converged:
            st.warning(tr("loyalty.model.not_converged"))
        for key, side in (("loyalty.model.raise", model.table["ci_low"] > 1),
                          ("loyalty.model.lower", model.table["ci_high"] < 1)):
            sig = model.table[side].sort_values("p_value")
            if not sig.empty:
                st.markdown(tr(key, terms="; ".join(
                    f"{plain(term_label(r.term, lang))} OR {r.odds_ratio:.2f} ({r.ci_low:.2f}–{r.ci_high:.2f})"
                    for r in sig.itertuples())))
        shown = model.table.assign(term=[term_label(x, lang) for x in model.table["term"]])
        st.dataframe(display_frame(shown, lang, _kinds(shown)), hide_index=True, column_config=_columns(shown))
    st.subheader(tr("loyalty.km.title"), help=tr("loyalty.help.km"))
    curves = res.curves
    if not curves.empty:
        st.altair_chart(km_chart(curves, lang), width="stretch")
    else:
        st.info(tr("loyalty.churn.km.none"))
    st.subheader(tr("loyalty.risk.title"), help=tr("loyalty.help.risk"))
    risk, scored = res.at_risk, res.scored
    if risk.empty:
        st.info(tr("loyalty.churn.risk.no_model", min=MIN_EVENTS, n=model.n, k=model.events))
        return
    st.caption(tr("loyalty.risk.caption", shown=len(risk), scored=f"{scored:,}"))
    if model.source == CUSTOMER_LIST:
        st.caption(tr("loyalty.churn.risk.from_list"))
    st.dataframe(display_frame(risk, lang, _kinds(risk)), hide_index=True, column_config=_columns(risk))
    download_buttons(risk, "churn_risk", _columns(risk))


# The chosen outcome and churn grouping live in the URL (as codes), so a copied link opens the same view.
URL_STATE = {"drv_outcome": (OUTCOMES, "ltr"), "drv_churn_by": (GROUP_DIMENSIONS, "tier")}
for _key, (_options, _default) in URL_STATE.items():
    from_url(_key, _options, _default)
st.title(tr("loyalty.page.drivers"))
try:
    _drivers()
    _churn()
except Exception as exc:  # noqa: BLE001 - any failure becomes a translated message instead of a stack trace
    show_error(exc)
to_url({k: v[1] for k, v in URL_STATE.items()})
