"""The service page's views: the cards with compliance (its default view), early warnings, first-time fix,
recurring problems and the drill-down's ticket list, each computed when the page shows it; and the SLA figures
per month or week that ``report sla --by month|week`` prints.

Open tickets are judged at ``now`` (None: the current time, once for the whole view); the page passes the
current minute, so its cached views last a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine

from cxdash.domain.service_sql import utcnow
from cxdash.filters import Filters
from cxdash.metrics.service.breakdown import category_pareto, sla_breakdown
from cxdash.metrics.service.compliance import SlaSummary, backlog_by_age, sla_summary, sla_trend
from cxdash.metrics.service.counts import period_bucket
from cxdash.metrics.service.lists import Drill, TicketPage, early_warning, ticket_list
from cxdash.metrics.service.percentiles import time_percentiles

PAGE_SIZE = 50  # tickets per page of the drill-down
ALL_TICKETS = Drill()  # the drill-down before any click: every ticket of the selection
WARNING_LIMIT = 500  # tickets listed per early warning


@dataclass(frozen=True)
class ServiceView:
    """The cards and the compliance view: the trend by ``period``, the business-time percentiles of all tickets
    (one row keyed "all"; empty without times), the figures by ``by`` and the open backlog by age."""

    now: datetime
    summary: SlaSummary
    period: str
    trend: pd.DataFrame
    times: pd.DataFrame
    by: str
    breakdown: pd.DataFrame
    backlog: pd.DataFrame


@dataclass(frozen=True)
class WarningView:
    """The open tickets at risk (least time left first) and already breached (longest overdue first)."""

    at_risk: TicketPage
    breached: TicketPage


@dataclass(frozen=True)
class FtfView:
    """First-time fix, reopen and repeat rates over time (by ``period``) and by team or agent (``by``); the merged
    tickets' count is the cards' (:attr:`ServiceView.summary`)."""

    period: str
    trend: pd.DataFrame
    by: str
    breakdown: pd.DataFrame


@dataclass(frozen=True)
class RecurringView:
    """Categories by volume or repeat contacts (``measure``), largest first, with cumulative shares."""

    measure: str
    pareto: pd.DataFrame


@dataclass(frozen=True)
class TicketsView:
    """One page (1-based ``page`` of ``page_size`` tickets) of the tickets behind a figure (``drill``)."""

    drill: Drill
    page: int
    page_size: int
    tickets: TicketPage

    @property
    def pages(self) -> int:
        """How many pages the whole list fills (at least one)."""
        return max(1, -(-self.tickets.total // self.page_size))


@dataclass(frozen=True)
class PeriodsView:
    """The SLA figures per creation month or week (``period``; column ``key``) with their business-time
    percentiles."""

    period: str
    table: pd.DataFrame


def service_view(engine: Engine, filters: Filters, lang: str = "en", *, now: datetime | None = None,
                 period: str = "month", by: str = "priority") -> ServiceView:
    """The service page's default view: the cards and the compliance view, groups named in ``lang``."""
    now = now if now is not None else utcnow()
    return ServiceView(now, sla_summary(engine, filters, now), period, sla_trend(engine, filters, now, period),
                       time_percentiles(engine, filters), by, sla_breakdown(engine, filters, by, now, lang),
                       backlog_by_age(engine, filters, now))


def warning_view(engine: Engine, filters: Filters, lang: str = "en", *, now: datetime | None = None,
                 limit: int = WARNING_LIMIT) -> WarningView:
    """The early warnings: ``limit`` tickets of each list, owners named in ``lang``."""
    now = now if now is not None else utcnow()
    return WarningView(early_warning(engine, filters, "at_risk", now, limit, 0, lang),
                       early_warning(engine, filters, "breached", now, limit, 0, lang))


def ftf_view(engine: Engine, filters: Filters, lang: str = "en", *, now: datetime | None = None,
             period: str = "month", by: str = "team") -> FtfView:
    """The first-time-fix view, groups named in ``lang``."""
    now = now if now is not None else utcnow()
    return FtfView(period, sla_trend(engine, filters, now, period), by, sla_breakdown(engine, filters, by, now, lang))


def recurring_view(engine: Engine, filters: Filters, lang: str = "en", *, measure: str = "volume") -> RecurringView:
    """The recurring-problems view: the category Pareto by ``measure`` (volume or repeats)."""
    return RecurringView(measure, category_pareto(engine, filters, measure))


def tickets_view(engine: Engine, filters: Filters, lang: str = "en", *, drill: Drill = ALL_TICKETS,
                 now: datetime | None = None, page: int = 1, page_size: int = PAGE_SIZE) -> TicketsView:
    """The drill-down: page ``page`` of the tickets ``drill`` names, newest first, named in ``lang``.

    Raises:
        ValueError: a drill-down the tickets cannot be selected by (an unknown grouping, outcome or period).
    """
    now = now if now is not None else utcnow()
    return TicketsView(drill, page, page_size,
                       ticket_list(engine, filters, drill, now, page_size, (page - 1) * page_size, lang))


def periods_view(engine: Engine, filters: Filters, lang: str = "en", *, now: datetime | None = None,
                 period: str = "month") -> PeriodsView:
    """The SLA figures per month or week with their median and p90 business minutes."""
    df = sla_trend(engine, filters, now, period=period).rename(columns={period: "key"})
    pct = time_percentiles(engine, filters, period_bucket(engine, period))
    df = df.merge(pct.drop(columns=["frt_n", "res_n"]), on="key", how="left")
    df["name"] = df["key"]
    return PeriodsView(period, df)
