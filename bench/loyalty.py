"""Benchmarks of the loyalty section: the loyalty page (cards and trend, then its other views), the drivers page
(key drivers and the churn models) and the voice-of-the-customer page (comment themes).

Each function runs what its page computes, without Streamlit or its cache, and is registered in
:data:`bench.pages.PAGES`. The models sample (their results state n); the timings include that.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from cxdash.filters import Filters


def loyalty_page(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's default view: the cards (with the previous period) and the monthly trend."""
    from cxdash.metrics.loyalty import loyalty_summary, loyalty_trend

    return loyalty_summary(engine, filters), loyalty_trend(engine, filters, "month")


def loyalty_breakdowns(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's breakdown view (by site). The page shows one view at a time below its cards (timed
    as ``loyalty``), so each view is what a click on it waits for."""
    from cxdash.metrics.loyalty import loyalty_breakdown

    return loyalty_breakdown(engine, filters, "site")


def loyalty_effort(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's effort view: easy versus hard, and NPS, detractors and churn by effort level."""
    from cxdash.metrics.effort import easy_vs_hard, effort_loyalty

    return easy_vs_hard(engine, filters), effort_loyalty(engine, filters)


def loyalty_failures(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's service-failure view: NPS, CSAT and churn of customers whose service failed."""
    from cxdash.metrics.failures import service_failures

    return service_failures(engine, filters)


def drivers_page(engine: Engine, filters: Filters) -> Any:
    """The drivers page: relative weights on likelihood to recommend, churn trend, and from one customer walk
    the churn groups, the logistic churn model, the at-risk list and the Kaplan-Meier curves."""
    from cxdash.metrics.churn import churn_trend
    from cxdash.metrics.churn_definition import load_definition
    from cxdash.metrics.churn_model import churn_drivers
    from cxdash.metrics.drivers import key_drivers

    d = load_definition(engine)
    return (key_drivers(engine, filters, "ltr", "en"), churn_trend(engine, filters, None, d.window_days, mode=d.mode),
            churn_drivers(engine, filters, "en", 200, None, d))


def voice_page(engine: Engine, filters: Filters) -> Any:
    """The voice-of-the-customer page: themes with lift, per tier and touchpoint, emerging, for the selection."""
    from cxdash.metrics.themes import voice

    return voice(engine, filters, "en")
