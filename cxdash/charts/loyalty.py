"""Charts of the loyalty section: trends with interval bands, breakdowns, effort and failures against loyalty,
key drivers, churn, the odds-ratio forest plot, Kaplan-Meier curves and comment themes.

Builders take the frames of :mod:`cxdash.metrics.loyalty.figures`, :mod:`~cxdash.metrics.loyalty.effort`,
:mod:`~cxdash.metrics.loyalty.failures`, :mod:`~cxdash.metrics.loyalty.drivers`, :mod:`~cxdash.metrics.loyalty.churn_model`,
:mod:`~cxdash.metrics.loyalty.survival` and :mod:`~cxdash.metrics.loyalty.themes` plus the language; every title, axis and
tooltip comes from the ``loyalty`` catalog.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from cxdash.charts.theme import (
    BAD,
    CHANGE_COLOURS,
    DIRECTION_COLOURS,
    DRIVER_KIND_COLOURS,
    FAILURE_KIND_COLOURS,
    GROUP_COLOURS,
    NEUTRAL,
    SAMPLE_COLOURS,
    coded_colour,
    labels_for,
)
from cxdash.i18n import t
from cxdash.metrics.loyalty.churn_model import term_label

SHARE_KPIS = ("promoters", "passives", "detractors", "csat", "ces_easy")


def value_format(kpi: str) -> str:
    """Axis format of a KPI: percentages for shares, one decimal for NPS, two for CES."""
    return ".0%" if kpi in SHARE_KPIS or kpi in ("churn", "rate") else (".2f" if kpi == "ces" else ",.1f")


def trend_chart(trend: pd.DataFrame, kpi: str, lang: str, period: str = "month") -> alt.LayerChart:
    """One KPI by period: the 95 % interval as a band, the value as a line, points coloured by the verdict on the
    change from the period before (significant or within noise)."""
    data = trend[trend["kpi"] == kpi].copy()
    data["change"] = ["first" if s is None or pd.isna(s) else "significant" if s else "within_noise"
                      for s in data["significant"].tolist()]
    data["verdict"] = [t(f"loyalty.verdict.{c}", lang) for c in data["change"]]
    fmt = value_format(kpi)
    title = t(f"loyalty.kpi.{kpi}", lang)
    x = alt.X("period:O", title=t(f"loyalty.period.{period}", lang))
    base = alt.Chart(data, title=t("loyalty.chart.trend", lang, kpi=title))
    band = base.mark_area(opacity=0.2).encode(x=x, y=alt.Y("ci_low:Q", title=title, axis=alt.Axis(format=fmt)),
                                               y2="ci_high:Q")
    line = base.mark_line().encode(x=x, y="value:Q")
    points = base.mark_point(filled=True, size=60).encode(
        x=x, y="value:Q",
        color=coded_colour("change", CHANGE_COLOURS, labels_for("loyalty.verdict", CHANGE_COLOURS, lang),
                           t("loyalty.chart.verdict", lang)),
        tooltip=[alt.Tooltip("period:O", title=t(f"loyalty.period.{period}", lang)),
                 alt.Tooltip("value:Q", title=title, format=fmt),
                 alt.Tooltip("ci_low:Q", title=t("loyalty.col.ci_low", lang), format=fmt),
                 alt.Tooltip("ci_high:Q", title=t("loyalty.col.ci_high", lang), format=fmt),
                 alt.Tooltip("delta:Q", title=t("loyalty.col.delta", lang), format=fmt),
                 alt.Tooltip("verdict:N", title=t("loyalty.chart.verdict", lang)),
                 alt.Tooltip("n:Q", title=t("loyalty.col.n", lang))],
    )
    return alt.LayerChart(layer=[band, line, points])


def bars_with_interval(data: pd.DataFrame, category: str, value: str, low: str, high: str, fmt: str,
                       category_title: str, value_title: str, title: str, sort: list[str] | None = None,
                       colour: str | None = None, colours: Mapping[str, str] | None = None) -> alt.LayerChart:
    """Horizontal bars of ``value`` per ``category`` with a 95 % interval as an error bar.

    ``colour`` names a column of codes coloured by ``colours`` (code -> colour, the same in every language).
    """
    y = alt.Y(f"{category}:N", title=category_title, sort=sort or "-x")
    base = alt.Chart(data, title=title)
    bar_colour = (coded_colour(colour, colours or {}, {}, legend=False) if colour and colours
                  else alt.Color(f"{colour}:N", legend=None) if colour else alt.value(NEUTRAL))
    bars = base.mark_bar(opacity=0.85).encode(
        y=y, x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt)), color=bar_colour,
        tooltip=[alt.Tooltip(f"{category}:N", title=category_title), alt.Tooltip(f"{value}:Q", title=value_title,
                                                                                  format=fmt),
                 alt.Tooltip(f"{low}:Q", format=fmt), alt.Tooltip(f"{high}:Q", format=fmt)])
    err = base.mark_errorbar(ticks=True).encode(y=y, x=alt.X(f"{low}:Q", title=value_title), x2=f"{high}:Q")
    return alt.LayerChart(layer=[bars, err])


def breakdown_chart(bd: pd.DataFrame, metric: str, lang: str, by: str) -> alt.LayerChart:
    """NPS, CSAT or CES per unit with intervals; low-sample units are drawn grey."""
    data = bd.copy()
    data["sample"] = ["low" if v else "enough" for v in data["low_sample"].tolist()]
    return bars_with_interval(data, "name", metric, f"{metric}_ci_low", f"{metric}_ci_high", value_format(metric),
                              t(f"loyalty.by.{by}", lang), t(f"loyalty.kpi.{metric}", lang),
                              t("loyalty.chart.breakdown", lang, kpi=t(f"loyalty.kpi.{metric}", lang)),
                              colour="sample", colours=SAMPLE_COLOURS)


def effort_chart(table: pd.DataFrame, dimension: str, measure: str, lang: str) -> alt.LayerChart:
    """NPS, detractor share or churn at each level of one effort dimension, with intervals."""
    data = table[table["dimension"] == dimension].copy()
    data["level_name"] = [t(f"loyalty.level.{v}", lang) if v in ("yes", "no") else v for v in data["level"]]
    low, high = f"{measure}_ci_low", f"{measure}_ci_high"
    return bars_with_interval(data, "level_name", measure, low, high, value_format(measure),
                              t(f"loyalty.effort.{dimension}", lang), t(f"loyalty.kpi.{measure}", lang),
                              t(f"loyalty.kpi.{measure}", lang), sort=data["level_name"].tolist())


def failures_chart(table: pd.DataFrame, measure: str, lang: str) -> alt.LayerChart:
    """NPS, CSAT or churn per service-failure group against the customers whose service went right."""
    data = table.copy()
    data["group_name"] = [t(f"loyalty.failure.{g}", lang) for g in data["group"]]
    data["kind"] = ["ref" if g in ("went_right", "no_ticket") else "failure" for g in data["group"]]
    return bars_with_interval(data, "group_name", measure, f"{measure}_ci_low", f"{measure}_ci_high",
                              value_format(measure), t("loyalty.failure.group", lang), t(f"loyalty.kpi.{measure}", lang),
                              t(f"loyalty.kpi.{measure}", lang), sort=data["group_name"].tolist(), colour="kind",
                              colours=FAILURE_KIND_COLOURS)


def drivers_chart(table: pd.DataFrame, lang: str, top: int = 15) -> alt.Chart:
    """Ranked bars of each driver's share of R^2, coloured by kind (touchpoint or effort)."""
    data = table.head(top).copy()
    data["kind_name"] = [t(f"loyalty.driver_kind.{k}", lang) for k in data["kind"]]
    return alt.Chart(data, title=t("loyalty.chart.drivers", lang)).mark_bar().encode(
        y=alt.Y("name:N", sort="-x", title=t("loyalty.col.driver", lang)),
        x=alt.X("share:Q", title=t("loyalty.col.share", lang), axis=alt.Axis(format=".0%")),
        color=coded_colour("kind", DRIVER_KIND_COLOURS, labels_for("loyalty.driver_kind", DRIVER_KIND_COLOURS, lang),
                           t("loyalty.col.kind", lang)),
        tooltip=[alt.Tooltip("name:N", title=t("loyalty.col.driver", lang)),
                 alt.Tooltip("share:Q", title=t("loyalty.col.share", lang), format=".1%"),
                 alt.Tooltip("answers:Q", title=t("loyalty.col.n", lang))],
    )


def churn_trend_chart(trend: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Churn rate as of each month's end with its interval."""
    base = alt.Chart(trend, title=t("loyalty.chart.churn_trend", lang))
    x = alt.X("month:O", title=t("loyalty.period.month", lang))
    band = base.mark_area(opacity=0.2).encode(x=x, y=alt.Y("ci_low:Q", title=t("loyalty.kpi.churn", lang),
                                                           axis=alt.Axis(format=".0%")), y2="ci_high:Q")
    line = base.mark_line(point=True).encode(x=x, y="rate:Q", tooltip=[
        alt.Tooltip("month:O", title=t("loyalty.period.month", lang)),
        alt.Tooltip("rate:Q", title=t("loyalty.kpi.churn", lang), format=".1%"),
        alt.Tooltip("n:Q", title=t("loyalty.col.customers", lang))])
    return alt.LayerChart(layer=[band, line])


def forest_plot(table: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Odds ratios with 95 % intervals on a log scale; the rule at 1 marks "no effect"."""
    data = table.copy()
    data["label"] = [term_label(x, lang) for x in data["term"]]
    data["direction"] = ["raises" if lo > 1 else "lowers" if hi < 1 else "unclear"
                         for lo, hi in zip(data["ci_low"], data["ci_high"], strict=True)]
    y = alt.Y("label:N", title=None, sort=data["label"].tolist())
    scale = alt.Scale(type="log")
    base = alt.Chart(data, title=t("loyalty.chart.forest", lang))
    err = base.mark_rule().encode(y=y, x=alt.X("ci_low:Q", scale=scale, title=t("loyalty.col.odds_ratio", lang)),
                                  x2="ci_high:Q")
    pts = base.mark_point(filled=True, size=80).encode(
        y=y, x=alt.X("odds_ratio:Q", scale=scale),
        color=coded_colour("direction", DIRECTION_COLOURS, labels_for("loyalty.or", DIRECTION_COLOURS, lang)),
        tooltip=[alt.Tooltip("label:N", title=t("loyalty.col.term", lang)),
                 alt.Tooltip("odds_ratio:Q", title=t("loyalty.col.odds_ratio", lang), format=".2f"),
                 alt.Tooltip("ci_low:Q", title=t("loyalty.col.ci_low", lang), format=".2f"),
                 alt.Tooltip("ci_high:Q", title=t("loyalty.col.ci_high", lang), format=".2f"),
                 alt.Tooltip("p_value:Q", title=t("loyalty.col.p_value", lang), format=".3g")])
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 4], color="#555").encode(x="x:Q")
    return alt.LayerChart(layer=[err, pts, one])


def km_chart(curves: pd.DataFrame, lang: str) -> alt.Chart:
    """Kaplan-Meier retention by tier of the first response, as step lines."""
    data = curves.copy()
    data["group_name"] = [t(f"loyalty.group.{g}", lang) for g in data["group"]]
    return alt.Chart(data, title=t("loyalty.chart.km", lang)).mark_line(interpolate="step-after").encode(
        x=alt.X("time:Q", title=t("loyalty.col.days", lang)),
        y=alt.Y("survival:Q", title=t("loyalty.col.retained", lang), axis=alt.Axis(format=".0%"),
                scale=alt.Scale(zero=False)),
        color=coded_colour("group", GROUP_COLOURS, labels_for("loyalty.group", GROUP_COLOURS, lang),
                           t("loyalty.col.first_tier", lang)),
        tooltip=[alt.Tooltip("group_name:N", title=t("loyalty.col.first_tier", lang)),
                 alt.Tooltip("time:Q", title=t("loyalty.col.days", lang)),
                 alt.Tooltip("survival:Q", title=t("loyalty.col.retained", lang), format=".1%"),
                 alt.Tooltip("at_risk:Q", title=t("loyalty.col.at_risk", lang))],
    )


def themes_chart(themes: pd.DataFrame, lang: str, top: int = 20) -> alt.LayerChart:
    """The first ``top`` themes in their ranking (by ``lift_low``, the lower end of the 95 % interval, as the
    subtitle says): each term's interval ``lift_low``-``lift_high`` as a rule and its lift as a point, with a
    dashed rule at lift 1 (parity); clickable (a point selection on ``term``).

    The axis is logarithmic: lift is a ratio, so 0.5 and 2 lie equally far from parity and a wide upper end does
    not squash every other interval.
    """
    data = themes.head(top)
    pick = alt.selection_point(fields=["term"], name="theme")
    y = alt.Y("term:N", sort=data["term"].tolist(), title=t("loyalty.col.term", lang))
    title = alt.TitleParams(t("loyalty.chart.themes", lang), subtitle=t("loyalty.voice.sorted_by_low", lang))
    base = alt.Chart(data, title=title)
    x = alt.X("lift_low:Q", title=t("loyalty.col.lift", lang), scale=alt.Scale(type="log"))
    tooltip = [alt.Tooltip("term:N", title=t("loyalty.col.term", lang)),
               alt.Tooltip("lift:Q", title=t("loyalty.col.lift", lang), format=".1f"),
               alt.Tooltip("lift_low:Q", title=t("loyalty.col.lift_low", lang), format=".1f"),
               alt.Tooltip("lift_high:Q", title=t("loyalty.col.lift_high", lang), format=".1f"),
               alt.Tooltip("detractors:Q", title=t("loyalty.col.detractors", lang)),
               alt.Tooltip("promoters:Q", title=t("loyalty.col.promoters", lang)),
               alt.Tooltip("comments:Q", title=t("loyalty.col.comments", lang))]
    interval = base.mark_rule(strokeWidth=3).encode(
        y=y, x=x, x2="lift_high:Q", color=alt.condition(pick, alt.value(BAD), alt.value("#ef9a9a")), tooltip=tooltip)
    point = base.mark_point(filled=True, size=70, color="#212121").encode(
        y=y, x=alt.X("lift:Q", scale=alt.Scale(type="log")), tooltip=tooltip).add_params(pick)
    parity = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 3], color=NEUTRAL).encode(x="x:Q")
    return alt.LayerChart(layer=[interval, point, parity])
