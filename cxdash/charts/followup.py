"""Charts of the follow-up cases: open and overdue cases by site.

The builder takes the by-unit frame of :func:`cxdash.metrics.followup.measures.case_measures` and the language and
returns an Altair chart; titles and legends come from the ``followup`` catalog, colours by stored state code.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cxdash.charts.labels import middle_ellipsis
from cxdash.charts.theme import BAD, INFO, coded_colour, labels_for
from cxdash.i18n import t

# Overdue is the red of everything that went wrong; open cases still in time are informational.
CASE_STATE_COLOURS = {"overdue": BAD, "open": INFO}


def by_site_frame(by_unit: pd.DataFrame) -> pd.DataFrame:
    """Open cases per site split into overdue and still in time (long form: site_name, state, n)."""
    if by_unit.empty:
        return pd.DataFrame(columns=["site_name", "state", "n"])
    sums = by_unit.groupby("site_name", as_index=False, dropna=False)[["open", "overdue"]].sum()
    sums["open"] = sums["open"] - sums["overdue"]
    long = sums.melt(id_vars="site_name", value_vars=["overdue", "open"], var_name="state", value_name="n")
    return long[long["n"] > 0].reset_index(drop=True)


def open_by_site_chart(by_unit: pd.DataFrame, lang: str) -> alt.Chart:
    """Stacked bars of open cases per site: overdue (red) and in time; the sites with most overdue on top."""
    data = by_site_frame(by_unit)
    labels = labels_for("followup.chart", tuple(CASE_STATE_COLOURS), lang)
    data["state_name"] = [labels.get(s, s) for s in data["state"]]
    order = (data.assign(o=data["n"].where(data["state"] == "overdue", 0)).groupby("site_name")["o"].sum()
             .sort_values(ascending=False).index.tolist())
    return (
        alt.Chart(data, title=t("followup.chart.by_site", lang))
        .mark_bar()
        .encode(
            x=alt.X("n:Q", title=t("followup.chart.cases", lang), stack="zero"),
            y=alt.Y("site_name:N", sort=order, title=None,
                    axis=alt.Axis(labelLimit=320, labelExpr=middle_ellipsis())),
            color=coded_colour("state", CASE_STATE_COLOURS, labels, t("followup.chart.kind", lang)),
            order=alt.Order("state:N", sort="descending"),
            tooltip=[alt.Tooltip("site_name:N", title=t("followup.col.site_name", lang)),
                     alt.Tooltip("state_name:N", title=t("followup.chart.kind", lang)),
                     alt.Tooltip("n:Q", title=t("followup.chart.cases", lang))],
        )
    )
