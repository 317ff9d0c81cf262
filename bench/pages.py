"""The pages the benchmark times: a registry of name -> ``callable(engine, filters)`` doing a page's data work.

Each callable runs what its page computes for one view (the same cxdash functions, without Streamlit or its
cache) and returns the results. Add a page with one line in :data:`PAGES`; ``python -m bench`` then times
it cold (first call in a fresh process) and warm (second call in that process). Imports stay inside the
callables so the cold figure includes what a fresh app process pays to load the page's modules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from bench import closedloop, gaps  # their page functions import their modules lazily
from cxdash.filters import Filters
from cxdash.schema import survey_response

PageData = Callable[[Engine, Filters], Any]


def overview_page(engine: Engine, filters: Filters) -> Any:
    """The executive overview: KPI cards (with previous period and targets), monthly trends, worst touchpoints."""
    from cxdash.metrics.overview import overview, overview_trends, worst_touchpoints

    return overview(engine, filters), overview_trends(engine, filters), worst_touchpoints(engine, filters, "en")


def service_page(engine: Engine, filters: Filters) -> Any:
    """The service page's default view: :func:`cxdash.views.service.service_view`."""
    from cxdash.views.service import service_view

    return service_view(engine, filters)


def loyalty_page(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's default view: :func:`cxdash.views.loyalty.loyalty_view`."""
    from cxdash.views.loyalty import loyalty_view

    return loyalty_view(engine, filters)


def loyalty_breakdowns(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's breakdown view (by site): :func:`cxdash.views.loyalty.breakdowns_view`."""
    from cxdash.views.loyalty import breakdowns_view

    return breakdowns_view(engine, filters)


def loyalty_effort(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's effort view: :func:`cxdash.views.loyalty.effort_view`."""
    from cxdash.views.loyalty import effort_view

    return effort_view(engine, filters)


def loyalty_failures(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's service-failure view: :func:`cxdash.views.loyalty.failures_view`."""
    from cxdash.views.loyalty import failures_view

    return failures_view(engine, filters)


def drivers_page(engine: Engine, filters: Filters) -> Any:
    """The drivers page: :func:`cxdash.views.drivers.drivers_view`."""
    from cxdash.views.drivers import drivers_view

    return drivers_view(engine, filters)


def voice_page(engine: Engine, filters: Filters) -> Any:
    """The voice-of-the-customer page's themes: :func:`cxdash.views.voice.voice_view`."""
    from cxdash.views.voice import voice_view

    return voice_view(engine, filters)


PAGES: dict[str, PageData] = {
    "overview": overview_page,
    "service": service_page,
    "tiers": gaps.tiers_page,
    "touchpoints": gaps.touchpoints_page,
    "touchpoints_drilldown": gaps.drilldown_site,
    "inspections": closedloop.inspections_page,
    "action_plans": closedloop.action_plans_page,
    "loyalty": loyalty_page,
    "loyalty_breakdowns": loyalty_breakdowns,
    "loyalty_effort": loyalty_effort,
    "loyalty_failures": loyalty_failures,
    "drivers": drivers_page,
    "voice": voice_page,
}


def bench_filters(engine: Engine, days: int = 365) -> Filters:
    """The view the benchmark times: the last ``days`` days up to the latest visit (so a previous period exists)."""
    with engine.connect() as conn:
        end = conn.execute(select(func.max(survey_response.c.visit_date))).scalar()
    if end is None:
        return Filters()
    return Filters(date_from=end - timedelta(days=days - 1), date_to=end)
