"""Charts of the closed loop: inspection heat map and trend, weak items, the site correlation, plan effects.

Each builder takes the data frame a cxdash function returned and the language, and returns an Altair chart
whose titles, axis labels and legends come from the ``improve`` catalog.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cxdash.charts.labels import middle_ellipsis
from cxdash.charts.theme import VERDICT_COLOURS, coded_colour, labels_for
from cxdash.charts.tooltips import tooltips
from cxdash.i18n import t

SCORE_SCALE = alt.Scale(domain=[0, 10], scheme="redyellowgreen")


def heatmap_chart(df: pd.DataFrame, lang: str) -> alt.Chart:
    """Sites (rows) by touchpoints (columns) coloured by the latest inspection score."""
    # Every column labelled: the short touchpoint codes fit side by side at 1440 px (22 names at -45 degrees
    # overlapped and Vega dropped most of them); the full name is in the tooltip.
    x_field = "touchpoint_code" if "touchpoint_code" in df else "touchpoint_name"
    order = list(dict.fromkeys(df[x_field]))
    return (
        alt.Chart(df, title=t("improve.chart.heatmap", lang))
        .mark_rect()
        .encode(
            x=alt.X(f"{x_field}:N", sort=order, title=t("improve.col.touchpoint", lang),
                    axis=alt.Axis(labelAngle=-90, labelOverlap=False, labelLimit=120, labelFontSize=10)),
            y=alt.Y("site_name:N", title=t("improve.col.site", lang),
                    axis=alt.Axis(labelLimit=320, labelOverlap=False, labelExpr=middle_ellipsis())),
            color=alt.Color("score:Q", scale=SCORE_SCALE, title=t("improve.col.score", lang)),
            tooltip=[
                alt.Tooltip("site_name:N", title=t("improve.col.site", lang)),
                *([alt.Tooltip("touchpoint_code:N", title=t("improve.col.code", lang))] if x_field != "touchpoint_name"
                  else []),
                alt.Tooltip("touchpoint_name:N", title=t("improve.col.touchpoint", lang)),
                alt.Tooltip("score:Q", title=t("improve.col.score", lang), format=".1f"),
                alt.Tooltip("last_inspected:T", title=t("improve.col.last_inspected", lang)),
                alt.Tooltip("items:Q", title=t("improve.col.items", lang)),
            ],
        )
    )


def trend_chart(df: pd.DataFrame, lang: str) -> alt.Chart:
    """Mean inspection score per month."""
    return (
        alt.Chart(df, title=t("improve.chart.trend", lang))
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O", title=t("improve.col.month", lang)),
            y=alt.Y("mean_score:Q", title=t("improve.col.mean_score", lang), scale=alt.Scale(domain=[0, 10])),
            tooltip=[
                alt.Tooltip("month:O", title=t("improve.col.month", lang)),
                alt.Tooltip("mean_score:Q", title=t("improve.col.mean_score", lang), format=".2f"),
                alt.Tooltip("n:Q", title=t("improve.col.n", lang)),
            ],
        )
    )


def weak_items_chart(df: pd.DataFrame, lang: str, k: int = 10) -> alt.Chart:
    """The ``k`` weakest items as bars of weakness, coloured by mean score."""
    top = df.head(k).assign(label=lambda d: d["touchpoint_code"] + " · " + d["pain_point"].str.slice(0, 40))
    return (
        alt.Chart(top, title=t("improve.chart.weak", lang))
        .mark_bar()
        .encode(
            x=alt.X("weakness:Q", title=t("improve.col.weakness", lang)),
            y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
            color=alt.Color("mean_score:Q", scale=SCORE_SCALE, title=t("improve.col.mean_score", lang)),
            tooltip=tooltips(lang, "improve.col", "touchpoint_name:N=touchpoint", "pain_point:N", "mean_score:Q|.2f",
                             "importance_norm:Q=importance|.2f", "weakness:Q|.3f"),
        )
    )


def correlation_chart(pairs: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """One point per site: mean inspection score against the customers' mean gap, with a least-squares line."""
    base = alt.Chart(pairs, title=t("improve.chart.correlation", lang))
    points = base.mark_circle(size=70).encode(
        x=alt.X("mean_score:Q", title=t("improve.col.mean_score", lang), scale=alt.Scale(zero=False)),
        y=alt.Y("gap:Q", title=t("improve.col.gap", lang), scale=alt.Scale(zero=False)),
        tooltip=[
            alt.Tooltip("site_name:N", title=t("improve.col.site", lang)),
            alt.Tooltip("mean_score:Q", title=t("improve.col.mean_score", lang), format=".2f"),
            alt.Tooltip("gap:Q", title=t("improve.col.gap", lang), format=".3f"),
        ],
    )
    line = base.transform_regression("mean_score", "gap").mark_line(color="#616161", strokeDash=[4, 3]).encode(
        x="mean_score:Q", y="gap:Q"
    )
    return alt.layer(points, line)


def effects_chart(board: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Change of the gap (after - before) per measured plan with its 95 % CI, coloured by verdict."""
    data = board[board["delta"].notna()].copy()
    data["label"] = "#" + data["id"].astype(str) + " " + data["title"].astype(str).str.slice(0, 40)
    data["verdict_label"] = [t(f"improve.verdict.{v}", lang) for v in data["verdict"]]
    labels = labels_for("improve.verdict", VERDICT_COLOURS, lang)
    base = alt.Chart(data, title=t("improve.chart.effects", lang)).encode(
        y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=320))
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title=t("improve.col.delta", lang)), x2="ci_high:Q",
        color=coded_colour("verdict", VERDICT_COLOURS, labels, t("improve.col.verdict", lang)),
    )
    points = base.mark_point(filled=True, size=60).encode(
        x="delta:Q",
        color=coded_colour("verdict", VERDICT_COLOURS, labels, t("improve.col.verdict", lang)),
        tooltip=[
            alt.Tooltip("label:N", title=t("improve.col.plan", lang)),
            alt.Tooltip("before_mean:Q", title=t("improve.col.before", lang), format=".3f"),
            alt.Tooltip("after_mean:Q", title=t("improve.col.after", lang), format=".3f"),
            alt.Tooltip("delta:Q", title=t("improve.col.delta", lang), format=".3f"),
            alt.Tooltip("p_value:Q", title=t("improve.col.p_value", lang), format=".3f"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#424242").encode(x="x:Q")
    return alt.layer(bars, points, zero)
