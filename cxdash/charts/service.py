"""Charts of the service page: compliance over time and by group, backlog by age, first-time fix, Pareto.

Each builder takes a frame a :mod:`cxdash.metrics` SLA function returned and the language, and returns an
Altair chart whose titles, axis labels and series names come from the ``sla`` catalog. Charts that drill down
carry a point selection named ``pick`` on the group's key, so pages can read the clicked element.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cxdash.charts.labels import middle_ellipsis
from cxdash.charts.theme import SERVICE_COLOURS, SLA_STATE_COLOURS, coded_colour, label_expr, labels_for
from cxdash.code_labels import code_label
from cxdash.i18n import t
from cxdash.metrics.service.compliance import INTERVAL_RATES

PICK = "pick"
RATE_AXIS = alt.Axis(format="%")


def _series_colour(series: dict[str, str], lang: str) -> alt.Color:
    """Colour by the rate's code (``measure``), the same for a rate on every chart and in every language."""
    colours = {code: SERVICE_COLOURS[code] for code in series}
    return coded_colour("measure", colours, series, t("service.axis.series", lang))


def _fold(df: pd.DataFrame, x: str, series: dict[str, str]) -> pd.DataFrame:
    """Long form of the rate columns in ``series`` (column -> translated label) with the rate's own n (its
    denominator, :data:`~cxdash.metrics.service.compliance.INTERVAL_RATES`) and its 95 % interval where the frame has them."""
    cols = [x, "series", "measure", "rate", "n", "ci_low", "ci_high"]
    parts = []
    for col, label in series.items():
        if col in df.columns:
            n_col = INTERVAL_RATES.get(col, "n")
            nan = pd.Series(float("nan"), index=df.index)
            parts.append(pd.DataFrame({x: df[x], "series": label, "measure": col, "rate": df[col],
                                       "n": df[n_col] if n_col in df.columns else df["n"],
                                       "ci_low": df.get(f"{col}_ci_low", nan), "ci_high": df.get(f"{col}_ci_high", nan)}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def _rate_lines(df: pd.DataFrame, lang: str, x: str, series: dict[str, str], title_key: str) -> alt.LayerChart:
    """Rates per period as lines over their Wilson 95 % interval bands, on a 0-100 % axis (as the overview's
    service trend: a zoomed share axis makes noise look like change)."""
    data = _fold(df, x, series)
    # The pick carries the period and the rate's code, so a click lists the tickets that missed in that period.
    pick = alt.selection_point(name=PICK, fields=[x, "measure"])
    x_enc = alt.X(f"{x}:O", title=t(f"service.axis.{x}", lang))
    share = alt.Scale(domain=[0, 1])
    base = alt.Chart(data, title=t(title_key, lang))
    band = base.mark_area(opacity=0.15).encode(
        x=x_enc, y=alt.Y("ci_low:Q", title=t("service.axis.rate", lang), axis=RATE_AXIS, scale=share), y2="ci_high:Q",
        color=_series_colour(series, lang))
    line = (
        base.mark_line(point=alt.OverlayMarkDef(size=80))
        .encode(
            x=x_enc,
            y=alt.Y("rate:Q", title=t("service.axis.rate", lang), axis=RATE_AXIS, scale=share),
            color=_series_colour(series, lang),
            tooltip=[
                alt.Tooltip(f"{x}:O", title=t(f"service.axis.{x}", lang)),
                alt.Tooltip("series:N", title=t("service.axis.series", lang)),
                alt.Tooltip("rate:Q", title=t("service.axis.rate", lang), format=".1%"),
                alt.Tooltip("ci_low:Q", title=t("overview.trend.ci_low", lang), format=".1%"),
                alt.Tooltip("ci_high:Q", title=t("overview.trend.ci_high", lang), format=".1%"),
                alt.Tooltip("n:Q", title=t("service.col.n", lang)),
            ],
        )
        .add_params(pick)
    )
    return alt.LayerChart(layer=[band, line])


def compliance_trend_chart(df: pd.DataFrame, lang: str, period: str = "month") -> alt.LayerChart:
    """First-response and resolution compliance per month or week."""
    series = {"first_response_rate": t("service.kpi.first_response", lang), "resolution_rate": t("service.kpi.resolution", lang)}
    return _rate_lines(df, lang, period, series, "service.chart.compliance_trend")


def ftf_trend_chart(df: pd.DataFrame, lang: str, period: str = "month") -> alt.LayerChart:
    """First-time-fix, reopen and repeat-contact rates per month or week."""
    series = {"ftf_rate": t("service.kpi.ftf", lang), "reopen_rate": t("service.kpi.reopen", lang),
              "repeat_rate": t("service.kpi.repeat", lang)}
    return _rate_lines(df, lang, period, series, "service.chart.ftf_trend")


def breakdown_chart(df: pd.DataFrame, lang: str, rates: tuple[str, ...] = ("first_response_rate", "resolution_rate"),
                    top: int = 25) -> alt.Chart:
    """Rates by group as grouped horizontal bars (the ``top`` largest groups); click a bar to drill down.

    The pick carries the group's key and the rate's code (``measure``), so a page can list the tickets that
    missed that very target in that group."""
    labels = {"first_response_rate": "service.kpi.first_response", "resolution_rate": "service.kpi.resolution",
              "ftf_rate": "service.kpi.ftf", "reopen_rate": "service.kpi.reopen", "repeat_rate": "service.kpi.repeat"}
    head = df[df["n"] > 0].head(top).assign(key=lambda d: d["key"].astype(str), name=lambda d: d["name"].astype(str))
    parts = [pd.DataFrame({"key": head["key"], "name": head["name"], "series": t(labels[r], lang), "measure": r,
                           "rate": head[r], "n": head["n"]}) for r in rates]
    data = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    pick = alt.selection_point(name=PICK, fields=["key", "measure"])
    return (
        alt.Chart(data, title=t("service.chart.breakdown", lang))
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=head["name"].tolist(), title=None, axis=alt.Axis(labelLimit=320, labelExpr=middle_ellipsis())),
            yOffset=alt.YOffset("measure:N", sort=list(rates)),
            x=alt.X("rate:Q", title=t("service.axis.rate", lang), axis=RATE_AXIS, scale=alt.Scale(domain=[0, 1])),
            color=_series_colour({r: t(labels[r], lang) for r in rates}, lang),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
            tooltip=[
                alt.Tooltip("name:N", title=t("service.col.group", lang)),
                alt.Tooltip("series:N", title=t("service.axis.series", lang)),
                alt.Tooltip("rate:Q", title=t("service.axis.rate", lang), format=".1%"),
                alt.Tooltip("n:Q", title=t("service.col.n", lang)),
            ],
        )
        .add_params(pick)
    )


def backlog_chart(df: pd.DataFrame, lang: str) -> alt.Chart:
    """Open tickets by age bucket, split into breached and within target; click a bar to list the bucket's
    tickets (the pick carries the bucket's code)."""
    rows = []
    for r in df.itertuples(index=False):
        label = t(f"service.backlog.{r.bucket}", lang)
        rows.append({"bucket": label, "code": r.bucket, "state_code": "breached",
                     "state": t("service.state.breached", lang), "n": int(r.breached)})
        rows.append({"bucket": label, "code": r.bucket, "state_code": "in_time",
                     "state": t("service.state.in_time", lang), "n": int(r.n - r.breached)})
    data = pd.DataFrame(rows, columns=["bucket", "code", "state_code", "state", "n"])
    order = [t(f"service.backlog.{b}", lang) for b in df["bucket"]]
    pick = alt.selection_point(name=PICK, fields=["code"])
    return (
        alt.Chart(data, title=t("service.chart.backlog", lang))
        .mark_bar()
        .encode(
            x=alt.X("bucket:N", sort=order, title=t("service.axis.age", lang)),
            y=alt.Y("n:Q", title=t("service.axis.open_tickets", lang)),
            color=coded_colour("state_code", SLA_STATE_COLOURS, labels_for("service.state", SLA_STATE_COLOURS, lang),
                               t("service.axis.state", lang)),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.6)),
            tooltip=[alt.Tooltip("bucket:N", title=t("service.axis.age", lang)),
                     alt.Tooltip("state:N", title=t("service.axis.state", lang)),
                     alt.Tooltip("n:Q", title=t("service.col.n", lang))],
        )
        .add_params(pick)
    )


def pareto_chart(df: pd.DataFrame, lang: str, measure: str = "volume") -> alt.LayerChart:
    """Categories as bars of the measure (largest first) with the cumulative share as a line; click a bar to
    list the category's tickets."""
    data = df.assign(category=df["category"].fillna(t("service.value.none", lang)))
    # The stored code stays the data (a click drills by it); the axis and tooltip show its name in ``lang``.
    data["category_name"] = [code_label("category", c, lang) for c in data["category"]]
    names = dict(zip(data["category"].astype(str), data["category_name"], strict=True))
    order = data["category"].tolist()
    value_title = t(f"service.pareto.{measure}", lang)
    pick = alt.selection_point(name=PICK, fields=["category"])
    base = alt.Chart(data, title=t("service.chart.pareto", lang)).encode(
        x=alt.X("category:N", sort=order, title=t("service.col.category", lang),
                axis=alt.Axis(labelAngle=-30, labelExpr=label_expr(names)))
    )
    bars = base.mark_bar().encode(
        y=alt.Y("value:Q", title=value_title),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
        tooltip=[alt.Tooltip("category_name:N", title=t("service.col.category", lang)),
                 alt.Tooltip("value:Q", title=value_title),
                 alt.Tooltip("share:Q", title=t("service.col.share", lang), format=".1%")],
    ).add_params(pick)
    line = base.mark_line(point=True, color="#d62728").encode(
        y=alt.Y("cum_share:Q", title=t("service.col.cum_share", lang), axis=RATE_AXIS, scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("category_name:N", title=t("service.col.category", lang)),
                 alt.Tooltip("cum_share:Q", title=t("service.col.cum_share", lang), format=".1%")],
    )
    return alt.layer(bars, line).resolve_scale(y="independent")
