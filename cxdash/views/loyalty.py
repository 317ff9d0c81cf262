"""The loyalty page's views: the cards with the trend (its default view), and the breakdown, effort and
service-failure views, each computed when the page shows it.

Every function returns everything its view shows; the page renders it, ``report loyalty`` prints its fields and
the benchmark times it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from cxdash.filters import Filters
from cxdash.metrics.differences import Diff
from cxdash.metrics.loyalty.churn_definition import load_rule
from cxdash.metrics.loyalty.churn_notes import churn_note
from cxdash.metrics.loyalty.effort import EffortLoyalty, easy_vs_hard, effort_loyalty
from cxdash.metrics.loyalty.failures import ServiceFailures, service_failures
from cxdash.metrics.loyalty.figures import LoyaltySummary, loyalty_breakdown, loyalty_summary, loyalty_trend
from cxdash.metrics.nps import NpsResult


@dataclass(frozen=True)
class LoyaltyView:
    """The cards (this period, the previous one and every change judged) and the trend by ``period``."""

    summary: LoyaltySummary
    period: str
    trend: pd.DataFrame  # cxdash.metrics.loyalty.figures.TREND_COLUMNS, every KPI

    def trend_of(self, kpi: str) -> pd.DataFrame:
        """The trend rows of one KPI, without the ``kpi`` column."""
        return self.trend[self.trend["kpi"] == kpi].drop(columns=["kpi"])


@dataclass(frozen=True)
class BreakdownsView:
    """NPS, CSAT and CES per group of ``by`` with intervals and low-sample marks."""

    by: str
    table: pd.DataFrame  # cxdash.metrics.loyalty.figures.BREAKDOWN_COLUMNS


@dataclass(frozen=True)
class EffortView:
    """NPS of easy versus hard experiences, NPS, detractors and churn by effort level, and the churn rule used."""

    easy: NpsResult
    hard: NpsResult
    diff: Diff  # easy minus hard
    effort: EffortLoyalty
    rule_line: str  # which churn rule the churn column uses, why, and how to switch


@dataclass(frozen=True)
class FailuresView:
    """NPS, CSAT and churn of customers whose service failed, against those whose service went right."""

    failures: ServiceFailures


def loyalty_view(engine: Engine, filters: Filters, lang: str = "en", *, period: str = "month") -> LoyaltyView:
    """The loyalty page's default view: the cards and the trend by ``period`` (month or week)."""
    return LoyaltyView(loyalty_summary(engine, filters), period, loyalty_trend(engine, filters, period))


def breakdowns_view(engine: Engine, filters: Filters, lang: str = "en", *, by: str = "site") -> BreakdownsView:
    """The breakdown view: the loyalty figures per region, site, team, channel or segment, named in ``lang``."""
    return BreakdownsView(by, loyalty_breakdown(engine, filters, by, lang))


def effort_view(engine: Engine, filters: Filters, lang: str = "en", *, churn_mode: str | None = None) -> EffortView:
    """The effort view under the churn rule ``churn_mode`` (None: the rule in force)."""
    easy, hard, diff = easy_vs_hard(engine, filters)
    effort = effort_loyalty(engine, filters, None, load_rule(engine, churn_mode).definition)
    return EffortView(easy, hard, diff, effort, churn_note(engine, filters, None, churn_mode).rule_line(lang))


def failures_view(engine: Engine, filters: Filters, lang: str = "en", *,
                  churn_mode: str | None = None) -> FailuresView:
    """The service-failure view under the churn rule ``churn_mode`` (None: the rule in force)."""
    return FailuresView(service_failures(engine, filters, None, None, load_rule(engine, churn_mode).definition))
