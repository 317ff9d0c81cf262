"""The executive overview's view: every KPI card against the previous period and its target, the monthly trend of
each KPI over the chosen window, why churn months may be missing from it, and the touchpoints furthest below
expectations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Engine

from cxdash.audit import now_utc
from cxdash.domain.periods import trailing_year
from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.metrics.followup.measures import CaseMeasures, case_measures
from cxdash.metrics.loyalty.churn_notes import trend_lines
from cxdash.metrics.overview.cards import Overview, overview, overview_trends, worst_touchpoints
from cxdash.metrics.overview.kpi_cards import KpiCard

# The trend's windows: the twelve months ending on the selection's last day, or the selection itself.
WINDOWS = ("12m", "range")


@dataclass(frozen=True)
class OverviewView:
    """The overview page: the cards (:class:`Overview`), the tidy monthly trend over ``window``, the notes on churn
    months the trend leaves out, the worst touchpoints and the cards as the download's table."""

    overview: Overview
    window: str
    trend: pd.DataFrame
    trend_notes: tuple[str, ...]
    worst: pd.DataFrame
    cards_table: pd.DataFrame

    @property
    def cards(self) -> tuple[KpiCard, ...]:
        """The KPI cards, in card order."""
        return self.overview.cards

    @property
    def targets(self) -> dict[str, float | None]:
        """Each card's target (None without one), drawn on its trend chart."""
        return {c.key: c.target for c in self.overview.cards}

    def sparkline(self, key: str) -> list[float]:
        """The monthly values of KPI ``key`` (months without a value left out), drawn on its card."""
        return self.trend.loc[self.trend["kpi"] == key, "value"].dropna().tolist()

    def has_trend(self, key: str) -> bool:
        """True when the trend has a row for KPI ``key``."""
        return bool((self.trend["kpi"] == key).any())


def overview_view(engine: Engine, filters: Filters, lang: str = "en", *, window: str = "12m",
                  as_of: date | None = None, churn_mode: str | None = None) -> OverviewView:
    """The overview of ``filters``: ``window`` "12m" draws the trend over the twelve months ending on the
    selection's last day (the selection itself without one), "range" over the selection; ``as_of`` and
    ``churn_mode`` as in :func:`cxdash.metrics.overview.cards.overview`.

    Raises:
        ValueError: an unknown ``window`` or ``churn_mode``.
    """
    if window not in WINDOWS:
        raise ValueError(f"unknown trend window {window!r}")
    ov = overview(engine, filters, as_of, churn_mode)
    trend_filters = filters
    if window == "12m" and filters.date_to is not None:
        trend_filters = filters.with_dates(*trailing_year(filters.date_to))
    trend = overview_trends(engine, trend_filters, as_of, churn_mode)
    notes = tuple(trend_lines(engine, filters, lang, churn_mode))
    table = pd.DataFrame(ov.records())
    if not table.empty:
        table.insert(1, "title", [t(f"overview.kpi.{k}.title", lang) for k in table["key"]])
    return OverviewView(overview=ov, window=window, trend=trend, trend_notes=notes,
                        worst=worst_touchpoints(engine, filters, lang), cards_table=table)


def overview_cases_view(engine: Engine, filters: Filters, lang: str = "en", *,
                        now: datetime | None = None) -> CaseMeasures:
    """The overview's follow-up case cards (#23): the case measures of ``filters`` with overdue cases judged at
    ``now`` (naive UTC, default the current time). Apart from :func:`overview_view`, so the KPI cards stay cached
    while the minute the cases are judged at moves on."""
    return case_measures(engine, filters, now or now_utc(), lang)
