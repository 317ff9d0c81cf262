"""Charts of the executive overview: a KPI's monthly trend with its interval, tier shares, service rates, and the
touchpoints furthest below expectations.

Builders take the frames of :mod:`cxdash.metrics.overview.cards` (the tidy trend of :func:`overview_trends`, the rows
of :func:`worst_touchpoints`) and the language; titles, axes, legends and tooltips come from the ``overview``
catalog (tier names from the common one).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cxdash.charts.theme import OVERVIEW_SERVICE_COLOURS, TIER_COLOURS, coded_colour
from cxdash.charts.tooltips import tooltips
from cxdash.domain.tiers import TIER_NAMES
from cxdash.i18n import t

NOT_SHARES = {"nps": ",.1f", "ces": ".2f"}  # every other trend KPI is a share shown as a percentage
TIER_KPIS = {f"share_{name}": name for name in TIER_NAMES}
SERVICE_KPIS = ("sla_first_response", "sla_resolution", "ftf")


def kpi_title(kpi: str, lang: str) -> str:
    """The translated card title of a KPI key."""
    return t(f"overview.kpi.{kpi}.title", lang)


def _value_format(kpi: str) -> str:
    return NOT_SHARES.get(kpi, ".0%")


def kpi_trend_chart(trend: pd.DataFrame, kpi: str, lang: str, target: float | None = None) -> alt.LayerChart:
    """One KPI by month: a line with points, the 95 % interval as a band, and the target as a dashed rule."""
    data = trend[trend["kpi"] == kpi]
    fmt = _value_format(kpi)
    month = alt.X("month:O", title=t("overview.trend.month", lang))
    value_title = kpi_title(kpi, lang)
    base = alt.Chart(data, title=t("overview.trend.chart_title", lang, kpi=value_title))
    band = base.mark_area(opacity=0.2).encode(
        x=month, y=alt.Y("ci_low:Q", title=value_title, axis=alt.Axis(format=fmt)), y2="ci_high:Q"
    )
    line = base.mark_line(point=True).encode(
        x=month,
        y=alt.Y("value:Q", title=value_title, axis=alt.Axis(format=fmt)),
        tooltip=[
            alt.Tooltip("month:O", title=t("overview.trend.month", lang)),
            alt.Tooltip("value:Q", title=value_title, format=fmt),
            alt.Tooltip("ci_low:Q", title=t("overview.trend.ci_low", lang), format=fmt),
            alt.Tooltip("ci_high:Q", title=t("overview.trend.ci_high", lang), format=fmt),
            alt.Tooltip("n:Q", title=t("overview.trend.n", lang)),
        ],
    )
    layers: list[alt.Chart] = [band, line]
    if target is not None:
        rule = alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(strokeDash=[4, 4], color="#555").encode(
            y="target:Q", tooltip=[alt.Tooltip("target:Q", title=t("overview.trend.target", lang), format=fmt)]
        )
        layers.append(rule)
    return alt.LayerChart(layer=layers)


def tier_trend_chart(trend: pd.DataFrame, lang: str) -> alt.Chart:
    """Tier shares by month as stacked bars (disappointed, basic, delighted, no tier)."""
    data = trend[trend["kpi"].isin(list(TIER_KPIS))].copy()
    names = {v: t(f"common.tier.{v}", lang) for v in TIER_KPIS.values()}
    data["tier_code"] = data["kpi"].map(TIER_KPIS)
    data["tier"] = data["tier_code"].map(names)
    data["tier_order"] = data["kpi"].map({k: i for i, k in enumerate(TIER_KPIS)})
    return (
        alt.Chart(data, title=t("overview.trend.tiers_title", lang))
        .mark_bar()
        .encode(
            x=alt.X("month:O", title=t("overview.trend.month", lang)),
            y=alt.Y("value:Q", stack="normalize", title=t("overview.trend.share", lang), axis=alt.Axis(format=".0%")),
            color=coded_colour("tier_code", TIER_COLOURS, names, t("overview.trend.kpi", lang)),
            order=alt.Order("tier_order:Q"),
            tooltip=[
                alt.Tooltip("month:O", title=t("overview.trend.month", lang)),
                alt.Tooltip("tier:N", title=t("overview.trend.kpi", lang)),
                alt.Tooltip("value:Q", title=t("overview.trend.share", lang), format=".1%"),
                alt.Tooltip("n:Q", title=t("overview.trend.n", lang)),
            ],
        )
    )


def service_trend_chart(trend: pd.DataFrame, lang: str) -> alt.LayerChart:
    """SLA first-response and resolution compliance and first-time fix by month: one line each over its 95 %
    (Wilson) interval as a band.

    The share axis spans 0-100 %, as on the other share charts: an axis zoomed to the data (86-92 %) makes a
    one-point wobble look like a collapse, and the bands show what change is noise.
    """
    data = trend[trend["kpi"].isin(SERVICE_KPIS)].copy()
    data["label"] = data["kpi"].map(lambda k: kpi_title(k, lang))
    names = {k: kpi_title(k, lang) for k in SERVICE_KPIS}
    month = alt.X("month:O", title=t("overview.trend.month", lang))
    share = alt.Scale(domain=[0, 1])
    colour = coded_colour("kpi", OVERVIEW_SERVICE_COLOURS, names, t("overview.trend.kpi", lang))
    base = alt.Chart(data, title=t("overview.trend.service_title", lang))
    band = base.mark_area(opacity=0.15).encode(
        x=month, y=alt.Y("ci_low:Q", title=t("overview.trend.share", lang), axis=alt.Axis(format=".0%"), scale=share),
        y2="ci_high:Q", color=colour)
    line = base.mark_line(point=True).encode(
        x=month,
        y=alt.Y("value:Q", title=t("overview.trend.share", lang), axis=alt.Axis(format=".0%"), scale=share),
        color=colour,
        tooltip=tooltips(lang, "overview.trend", "month:O", "label:N=kpi", "value:Q=share|.1%", "ci_low:Q|.1%",
                         "ci_high:Q|.1%", "n:Q"),
    )
    return alt.LayerChart(layer=[band, line])


def worst_touchpoints_chart(df: pd.DataFrame, lang: str) -> alt.LayerChart:
    """The worst touchpoints' gaps as bars with their 95 % interval as error bars."""
    y = alt.Y("touchpoint_name:N", sort=list(df["touchpoint_name"]), title=t("overview.col.touchpoint", lang))
    gap_title = t("overview.col.gap", lang)
    base = alt.Chart(df, title=t("overview.worst.title", lang))
    bars = base.mark_bar(color="#c62828").encode(
        x=alt.X("gap:Q", title=gap_title),
        y=y,
        tooltip=[
            alt.Tooltip("stage_name:N", title=t("overview.col.stage", lang)),
            alt.Tooltip("touchpoint_name:N", title=t("overview.col.touchpoint", lang)),
            alt.Tooltip("gap:Q", title=gap_title, format=".3f"),
            alt.Tooltip("ci_low:Q", title=t("overview.col.ci_low", lang), format=".3f"),
            alt.Tooltip("ci_high:Q", title=t("overview.col.ci_high", lang), format=".3f"),
            alt.Tooltip("n:Q", title=t("overview.col.n", lang)),
            alt.Tooltip("q_value:Q", title=t("overview.col.q_value", lang), format=".2g"),
        ],
    )
    errors = base.mark_errorbar().encode(x=alt.X("ci_low:Q", title=gap_title), x2="ci_high:Q", y=y)
    return alt.LayerChart(layer=[bars, errors])
