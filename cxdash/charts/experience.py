"""Charts of the experience pages: satisfaction tiers (stacked tier trend, tier mix per unit, value of each tier)
and touchpoint gaps (journey map, gap per unit with intervals, IPA matrix, gap trend).

Every builder takes a frame from :mod:`cxdash.metrics.experience` and the language and returns an Altair chart whose
titles, axes and legends come from the ``experience`` catalog. Tiers always appear in the same order and colours
(disappointed red, basic grey-blue, delighted green, no tier light grey) in every language: the colour is keyed by
the tier's code (:mod:`cxdash.charts.theme`); labels come from the shared ``tier.*`` catalog keys. Charts one can
drill into carry a point selection named ``pick`` (fields listed per chart) so the page can read the clicked element.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from cxdash.charts.labels import middle_ellipsis
from cxdash.charts.theme import BAD, GOOD, QUADRANT_COLOURS, TIER_COLOURS, coded_colour, labels_for
from cxdash.charts.tooltips import tooltips
from cxdash.domain.tiers import TIER_NAMES
from cxdash.i18n import t

PICK = "pick"

# --- Satisfaction tiers --------------------------------------------------------------------------------------


def _tier_colour(lang: str, legend: bool = True) -> alt.Color:
    return coded_colour("tier", TIER_COLOURS, labels_for("common.tier", TIER_NAMES, lang), t("experience.axis.tier", lang),
                        legend=legend)


def _with_labels(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = df.copy()
    out["tier_label"] = [t(f"common.tier.{x}", lang) for x in out["tier"]]
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
            x=alt.X("tier_label:N", sort=[t(f"common.tier.{x}", lang) for x in TIER_NAMES], title=None),
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


# --- Touchpoint gaps -----------------------------------------------------------------------------------------
SHORTFALL, EXCEEDED, NEUTRAL = BAD, GOOD, "#7f8c8d"
CELL_WIDTH, CELL_HEIGHT = 190, 64
ROW_STEP = 26  # pixels per unit in the interval charts


MAX_NAME_LINES = 3  # with the value line below, what a cell of CELL_HEIGHT pixels holds at font size 11


def _wrap(text: str, width: int) -> str:
    """Break a name into lines of about ``width`` characters (CJK text has no spaces: cut by length)."""
    words = str(text).split()
    if len(words) <= 1:
        chunks = [str(text)[i : i + width] for i in range(0, len(str(text)), width)]
        return "\n".join(chunks[:MAX_NAME_LINES])
    lines, line = [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "\n".join(lines[:MAX_NAME_LINES])


def _marks(row: pd.Series) -> str:
    out = []
    if bool(row.get("significant", False)):
        out.append("★")
    if bool(row.get("low_sample", False)):
        out.append("○")
    return " ".join(out)


def _fmt(value: float) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:+.3f}"


def journey_map(gaps: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Stages left to right, their touchpoints top to bottom, each cell coloured by its mean gap (diverging:
    shortfall red, exceeded green); ★ marks a significant gap (q < 0.05), ○ fewer than 30 pairs.

    Selection ``pick`` on ``touchpoint_id`` and ``stage_code``.
    """
    df = gaps.copy()
    df["row"] = df.groupby("stage_code", sort=False).cumcount() + 1
    cjk = lang.startswith("zh")
    df["label"] = [f"{_wrap(n, 11 if cjk else 22)}\n{_fmt(g)} {_marks(r)}".strip()
                   for n, g, (_, r) in zip(df["touchpoint_name"], df["gap"], df.iterrows(), strict=True)]
    df["gap_pct"] = df["gap"]
    extent = float(df["gap"].abs().max()) if df["gap"].notna().any() else 0.1
    extent = max(extent, 0.02)
    # dark text is unreadable on the deep ends of the scale
    df["ink"] = ["white" if g == g and abs(g) > 0.6 * extent else "#1f2328" for g in df["gap"]]
    stages = list(dict.fromkeys(df["stage_name"]))
    rows = int(df["row"].max()) if not df.empty else 1
    pick = alt.selection_point(name=PICK, fields=["touchpoint_id", "stage_code"], on="click")
    base = alt.Chart(df, title=t("experience.chart.journey_map", lang)).encode(
        x=alt.X("stage_name:N", sort=stages, title=t("experience.axis.stage", lang),
                axis=alt.Axis(orient="top", labelAngle=0, labelLimit=CELL_WIDTH)),
        y=alt.Y("row:O", title=None, axis=None),
    )
    tooltip = tooltips(lang, "experience.col", "stage_name:N", "touchpoint_name:N", "gap:Q|+.3f", "ci_low:Q|+.3f",
                       "ci_high:Q|+.3f", "q_value:Q|.3g", "n:Q", "share_disappointed:Q|.0%")
    cells = base.mark_rect(stroke="white", strokeWidth=2, cornerRadius=4).encode(
        color=alt.Color("gap:Q", title=t("experience.axis.gap", lang),
                        scale=alt.Scale(scheme="redyellowgreen", domain=[-extent, extent], domainMid=0),
                        legend=alt.Legend(gradientLength=max(60, min(200, rows * CELL_HEIGHT - 40)))),
        strokeOpacity=alt.condition(pick, alt.value(1.0), alt.value(0.6)),
        tooltip=tooltip,
    ).add_params(pick)
    text = base.mark_text(lineBreak="\n", fontSize=11, align="center", baseline="middle").encode(
        text="label:N", color=alt.Color("ink:N", scale=None), tooltip=tooltip
    )
    # A step, not a total height: Streamlit fits a total height to axes and title too, which squeezed the cells
    # until their labels overflowed.
    # the text colour is a literal per cell, not a second use of the gap scale
    layered = (cells + text).resolve_scale(color="independent")
    return layered.properties(width=CELL_WIDTH * max(len(stages), 1), height=alt.Step(CELL_HEIGHT))


def _significance_colour(df: pd.DataFrame, value: str) -> pd.Series:
    return pd.Series(
        [SHORTFALL if s and v < 0 else EXCEEDED if s and v > 0 else NEUTRAL
         for s, v in zip(df["significant"], df[value], strict=True)], index=df.index,
    )


def interval_chart(df: pd.DataFrame, lang: str, title: str, value: str = "gap", label: str = "name",
                   key: str = "key", axis_key: str = "experience.axis.gap") -> alt.LayerChart:
    """Points with 95 % interval bars, one row per unit, in the frame's order (worst first when sorted so);
    red or green when significant, grey otherwise; faded below 30 pairs. Selection ``pick`` on ``key``."""
    data = df.copy()
    data["colour"] = _significance_colour(data, value)
    data["opacity"] = [0.45 if low else 1.0 for low in data["low_sample"]]
    data["marks"] = [_marks(r) for _, r in data.iterrows()]
    order = list(data[label].astype(str))
    data[label] = data[label].astype(str)
    pick = alt.selection_point(name=PICK, fields=[key], on="click")
    y = alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False,
                                                                           labelExpr=middle_ellipsis()))
    tooltip = [alt.Tooltip(f"{label}:N", title=t("experience.col.name", lang)),
               alt.Tooltip(f"{value}:Q", title=t(axis_key, lang), format="+.3f"),
               alt.Tooltip("ci_low:Q", title=t("experience.col.ci_low", lang), format="+.3f"),
               alt.Tooltip("ci_high:Q", title=t("experience.col.ci_high", lang), format="+.3f")]
    tooltip += [alt.Tooltip(f"{c}:Q", title=t(f"experience.col.{c}", lang)) for c in ("n", "n_group") if c in data]
    base = alt.Chart(data, title=title).encode(y=y)
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title=t(axis_key, lang)), x2="ci_high:Q",
        color=alt.Color("colour:N", scale=None), opacity=alt.Opacity("opacity:Q", scale=None))
    points = base.mark_circle(size=90).encode(
        x=f"{value}:Q", color=alt.Color("colour:N", scale=None), opacity=alt.Opacity("opacity:Q", scale=None),
        tooltip=tooltip).add_params(pick)
    marks = base.mark_text(align="left", dx=6).encode(x="ci_high:Q", text="marks:N")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4], color="#555").encode(x="x:Q")
    # a step per row: a total height was shared with title and axis, leaving a few pixels per unit
    return (zero + bars + points + marks).properties(height=alt.Step(ROW_STEP))


def ipa_chart(points: pd.DataFrame, x_kind: str, x_cut: float, y_cut: float, lang: str) -> alt.LayerChart:
    """Importance-performance scatter with the mean cuts and the four quadrant labels in the corners."""
    x_title = t("experience.axis.performance_gap" if x_kind == "gap" else "experience.axis.performance_p", lang)
    data = points.copy()
    data["quadrant_label"] = [t(f"experience.quadrant.{q}", lang) for q in data["quadrant"]]
    pick = alt.selection_point(name=PICK, fields=["touchpoint_id"], on="click")
    tooltip = [alt.Tooltip("touchpoint_name:N", title=t("experience.col.touchpoint_name", lang)),
               alt.Tooltip("x:Q", title=x_title, format="+.3f"),
               alt.Tooltip("y:Q", title=t("experience.axis.importance", lang), format=".1%"),
               alt.Tooltip("quadrant_label:N", title=t("experience.col.quadrant", lang)),
               alt.Tooltip("n:Q", title=t("experience.col.n", lang))]
    base = alt.Chart(data, title=t("experience.chart.ipa", lang))
    dots = base.mark_circle(size=110).encode(
        x=alt.X("x:Q", title=x_title, scale=alt.Scale(zero=False)),
        y=alt.Y("y:Q", title=t("experience.axis.importance", lang), axis=alt.Axis(format="%")),
        color=coded_colour("quadrant", QUADRANT_COLOURS, labels_for("experience.quadrant", QUADRANT_COLOURS, lang),
                           t("experience.col.quadrant", lang)),
        tooltip=tooltip).add_params(pick)
    labels = base.mark_text(dy=-10, fontSize=10).encode(x="x:Q", y="y:Q", text="touchpoint_code:N")
    cuts = alt.Chart(pd.DataFrame({"x": [x_cut]})).mark_rule(strokeDash=[4, 4], color="#555").encode(x="x:Q")
    cuts_y = alt.Chart(pd.DataFrame({"y": [y_cut]})).mark_rule(strokeDash=[4, 4], color="#555").encode(y="y:Q")
    chart = cuts + cuts_y + dots + labels
    for _, corner in _quadrant_corners(data, lang).iterrows():
        one = pd.DataFrame({"x": [corner["x"]], "y": [corner["y"]], "label": [corner["label"]]})
        chart += alt.Chart(one).mark_text(fontWeight="bold", color="#333", opacity=0.7, align=corner["align"],
                                          baseline=corner["baseline"]).encode(x="x:Q", y="y:Q", text="label:N")
    return chart.properties(height=420)


def _quadrant_corners(data: pd.DataFrame, lang: str) -> pd.DataFrame:
    if data.empty:
        return pd.DataFrame(columns=["x", "y", "label", "align", "baseline"])
    x0, x1, y0, y1 = data["x"].min(), data["x"].max(), data["y"].min(), data["y"].max()
    return pd.DataFrame({
        "x": [x0, x1, x0, x1], "y": [y1, y1, y0, y0],
        "label": [t(f"experience.quadrant.{q}", lang) for q in ("concentrate", "keep_up", "low_priority", "overkill")],
        "align": ["left", "right", "left", "right"], "baseline": ["bottom", "bottom", "top", "top"],
    })


def gap_trend_chart(trend: pd.DataFrame, tp_name: str, lang: str) -> alt.LayerChart:
    """The gap of one touchpoint per period with its 95 % interval as a band; faded points below n = 30."""
    data = trend.copy()
    data["opacity"] = [0.4 if low else 1.0 for low in data["low_sample"]]
    base = alt.Chart(data, title=t("experience.chart.gap_trend", lang, tp=tp_name)).encode(
        x=alt.X("period:O", title=t("experience.axis.period", lang)))
    band = base.mark_area(opacity=0.2, color=SHORTFALL).encode(
        y=alt.Y("ci_low:Q", title=t("experience.axis.gap", lang)), y2="ci_high:Q")
    line = base.mark_line(point=True, color="#333").encode(
        y="gap:Q", opacity=alt.Opacity("opacity:Q", scale=None),
        tooltip=[alt.Tooltip("period:O", title=t("experience.axis.period", lang)),
                 alt.Tooltip("gap:Q", title=t("experience.col.gap", lang), format="+.3f"),
                 alt.Tooltip("ci_low:Q", title=t("experience.col.ci_low", lang), format="+.3f"),
                 alt.Tooltip("ci_high:Q", title=t("experience.col.ci_high", lang), format="+.3f"),
                 alt.Tooltip("n:Q", title=t("experience.col.n", lang))])
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(strokeDash=[4, 4], color="#555").encode(y="y:Q")
    return zero + band + line
