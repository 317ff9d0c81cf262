"""Charts of the satisfaction-tiers page: stacked tier trend, tier mix per unit, value of each tier.

Tiers always appear in the same order and colours (disappointed red, basic grey-blue, delighted green, no tier
light grey) in every language: the colour is keyed by the tier's code (:mod:`cxdash.charts.theme`); labels come
from the shared ``tier.*`` catalog keys, titles and axes from ``experience``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cxdash.charts.labels import middle_ellipsis
from cxdash.charts.theme import TIER_COLOURS, coded_colour, labels_for
from cxdash.domain.tiers import TIER_NAMES
from cxdash.i18n import t

PICK = "pick"


def _tier_colour(lang: str, legend: bool = True) -> alt.Color:
    return coded_colour("tier", TIER_COLOURS, labels_for("tier", TIER_NAMES, lang), t("experience.axis.tier", lang),
                        legend=legend)


def _with_labels(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = df.copy()
    out["tier_label"] = [t(f"tier.{x}", lang) for x in out["tier"]]
    out["tier_order"] = [TIER_NAMES.index(x) for x in out["tier"]]
    return out


def tier_trend_chart(trend: pd.DataFrame, lang: str) -> alt.Chart:
    """Stacked shares of the four tiers per period (each bar sums to 100 %)."""
    data = _with_labels(trend, lang)
    return (
        alt.Chart(data, title=t("experience.chart.tier_trend", lang))
        .mark_bar()
        .encode(
            x=alt.X("period:O", title=t("experience.axis.period", lang)),
            y=alt.Y("share:Q", stack="normalize", title=t("experience.axis.share", lang), axis=alt.Axis(format="%")),
            color=_tier_colour(lang),
            order=alt.Order("tier_order:Q"),
            tooltip=[alt.Tooltip("period:O", title=t("experience.axis.period", lang)),
                     alt.Tooltip("tier_label:N", title=t("experience.axis.tier", lang)),
                     alt.Tooltip("share:Q", title=t("experience.axis.share", lang), format=".1%"),
                     alt.Tooltip("n:Q", title=t("experience.axis.n", lang)),
                     alt.Tooltip("total:Q", title=t("experience.col.n", lang))],
        )
    )


def tier_breakdown_chart(wide: pd.DataFrame, by_label: str, lang: str, limit: int = 40) -> alt.Chart:
    """Horizontal stacked tier shares per unit, most disappointed on top (first ``limit`` units).

    Selection ``pick`` on ``key``.
    """
    top = wide.head(limit).copy()
    top["name"] = top["name"].astype(str) + "  (n=" + top["n"].astype(str) + ")"
    order = list(top["name"])
    long = top.melt(id_vars=["key", "name", "n"], value_vars=[f"share_{x}" for x in TIER_NAMES],
                    var_name="tier", value_name="share")
    long["tier"] = long["tier"].str.replace("share_", "", regex=False)
    long = _with_labels(long, lang)
    long["key"] = long["key"].astype(str)
    pick = alt.selection_point(name=PICK, fields=["key"], on="click")
    return (
        alt.Chart(long, title=t("experience.chart.tier_breakdown", lang, by=by_label))
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False,
                                                                        labelExpr=middle_ellipsis())),
            x=alt.X("share:Q", stack="normalize", title=t("experience.axis.share", lang), axis=alt.Axis(format="%")),
            color=_tier_colour(lang),
            order=alt.Order("tier_order:Q"),
            tooltip=[alt.Tooltip("name:N", title=by_label),
                     alt.Tooltip("tier_label:N", title=t("experience.axis.tier", lang)),
                     alt.Tooltip("share:Q", title=t("experience.axis.share", lang), format=".1%")],
        )
        .add_params(pick)
        .properties(height=alt.Step(22))  # per row: a total height is shared with title and axis
    )


def tier_value_chart(value: pd.DataFrame, lang: str) -> alt.HConcatChart:
    """NPS, CSAT, revisit and churn side by side per tier (bars; NPS with its 95 % interval)."""
    data = _with_labels(value, lang)
    panels = []
    for col, fmt in (("nps", ".0f"), ("csat", ".0%"), ("revisit_rate", ".0%"), ("churn_rate", ".0%")):
        base = alt.Chart(data, title=t(f"experience.col.{col}", lang)).encode(
            x=alt.X("tier_label:N", sort=[t(f"tier.{x}", lang) for x in TIER_NAMES], title=None),
        )
        bars = base.mark_bar().encode(
            y=alt.Y(f"{col}:Q", title=None, axis=alt.Axis(format=fmt)),
            color=_tier_colour(lang, legend=False),
            tooltip=[alt.Tooltip("tier_label:N", title=t("experience.axis.tier", lang)),
                     alt.Tooltip(f"{col}:Q", title=t(f"experience.col.{col}", lang), format=fmt),
                     alt.Tooltip("n:Q", title=t("experience.col.n", lang))],
        )
        layer = bars
        if col == "nps":
            layer = bars + base.mark_rule(color="#333").encode(y="nps_ci_low:Q", y2="nps_ci_high:Q")
        panels.append(layer.properties(width=150, height=200))
    return alt.hconcat(*panels)
