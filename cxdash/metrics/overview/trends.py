"""The overview's monthly trend of every KPI, as one tidy DataFrame (one row per month and KPI).

Columns (:data:`TREND_COLUMNS`): ``month`` ("YYYY-MM"), ``kpi`` (the card keys of
:mod:`cxdash.metrics.overview.cards`), ``value``, ``n`` and the 95 % interval ``ci_low`` / ``ci_high`` computed exactly
as on the cards: the survey KPIs by month of the visit date (one grouped query), SLA compliance and first-time
fix by month of ticket creation (:func:`cxdash.metrics.service.compliance.sla_trend`), churn as of each month's last day
(:func:`cxdash.metrics.loyalty.churn.churn_trend`). Action-plan counts are a state, not a monthly series, and have none.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from cxdash.domain.kpis import KPI_CODES
from cxdash.domain.tiers import TIER_NAMES
from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn import churn_trend
from cxdash.metrics.loyalty.churn_definition import load_rule
from cxdash.metrics.response_figures import ResponseFigures, figures_from_row, plain_sums
from cxdash.metrics.service.compliance import sla_trend
from cxdash.metrics.significance import Proportion, proportion
from cxdash.summaries.figures import figure_sums

TREND_COLUMNS = ["month", "kpi", "value", "n", "ci_low", "ci_high"]
EFFORT_FACTS = ("multiple_contacts", "transferred", "repeated_story")


def _row(month: str, kpi: str, value: float | None, n: int, low: float | None, high: float | None) -> dict[str, Any]:
    return {"month": month, "kpi": kpi, "value": value, "n": n, "ci_low": low, "ci_high": high}


def _share(month: str, kpi: str, p: Proportion) -> dict[str, Any]:
    return _row(month, kpi, p.rate, p.n, p.ci_low, p.ci_high)


def figure_rows(month: str, fig: ResponseFigures) -> list[dict[str, Any]]:
    """The trend rows of one month's survey figures."""
    rows = [
        _row(month, "nps", fig.nps.score, fig.nps.n, fig.nps.ci_low, fig.nps.ci_high),
        _share(month, "csat", fig.csat),
        _row(month, "ces", fig.ces.mean, fig.ces.n, fig.ces.ci_low, fig.ces.ci_high),
        _share(month, "ces_easy", proportion(fig.ces.easy, fig.ces.n)),
    ]
    rows += [_share(month, f"share_{name}", fig.tiers.proportion(name)) for name in TIER_NAMES]
    rows += [_share(month, f"effort_{name}", getattr(fig.effort, name)) for name in EFFORT_FACTS]
    return rows


def response_trend(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Survey KPIs by month of the visit date, from the figure summary where it covers the selection
    (:func:`cxdash.summaries.figures.figure_sums`), else from the responses grouped by month."""
    with engine.connect() as conn:
        sums = figure_sums(conn, filters, ["month"])
    if sums.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    sums = sums.sort_values("month")
    rows = [x for rec in sums.to_dict(orient="records")
            for x in figure_rows(str(rec.pop("month")), figures_from_row(plain_sums(rec)))]
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def service_trend(engine: Engine, filters: Filters, now: datetime | None = None) -> pd.DataFrame:
    """SLA first-response and resolution compliance and first-time fix by month of ticket creation."""
    sla = sla_trend(engine, filters, now)
    out = []
    for rec in sla.to_dict(orient="records"):
        for kpi, rate, n in (("sla_first_response", "first_response_rate", "frt_n"),
                             ("sla_resolution", "resolution_rate", "res_n"), ("ftf", "ftf_rate", "resolved")):
            count = int(rec[n] or 0)
            k = round(float(rec[rate]) * count) if count else 0  # sla_trend gives rates; counts are integers
            out.append(_share(str(rec["month"]), kpi, proportion(k, count)))
    return pd.DataFrame(out, columns=TREND_COLUMNS)


def churn_rows(engine: Engine, filters: Filters, as_of: date | None = None,
               churn_mode: str | None = None) -> pd.DataFrame:
    """Churn rate as of each month's last day (the last month as of A), under the churn rule in force
    (``churn_mode`` overrides it); months the history cannot support yet are left out
    (:func:`cxdash.metrics.loyalty.churn.trend_start` says from when)."""
    definition = load_rule(engine, churn_mode).definition
    ch = churn_trend(engine, filters, as_of, definition.window_days, definition.mode)
    out = [_row(r["month"], "churn", r["rate"], int(r["n"]), r["ci_low"], r["ci_high"])
           for r in ch.to_dict(orient="records")]
    return pd.DataFrame(out, columns=TREND_COLUMNS)


def overview_trends(engine: Engine, filters: Filters, as_of: date | None = None,
                    churn_mode: str | None = None) -> pd.DataFrame:
    """Every KPI's monthly trend over the filters' range as one tidy frame, in card order, then by month.

    Months without data for a KPI have no row; ``value`` and the interval are NaN where n is 0. Churn months
    the history cannot support are left out (:func:`churn_rows`).
    """
    now = None if as_of is None else datetime.combine(as_of + timedelta(days=1), time.min)
    parts = [response_trend(engine, filters), service_trend(engine, filters, now),
             churn_rows(engine, filters, as_of, churn_mode)]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=TREND_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    for col in ("value", "ci_low", "ci_high"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    out["n"] = out["n"].astype(int)
    order = out["kpi"].map({k: i for i, k in enumerate(KPI_CODES)})
    return out.assign(_order=order).sort_values(["_order", "month"], kind="stable").drop(columns="_order") \
        .reset_index(drop=True)
