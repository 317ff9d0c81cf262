"""The pages the benchmark times: a registry of name -> ``callable(engine, filters)`` doing a page's data work.

Each callable runs what its page computes for one view (the same cxdash functions, without Streamlit or its
cache) and returns the results. Add a page with one line in :data:`PAGES`; ``python -m cxdash bench`` then times
it cold (first call in a fresh process) and warm (second call in that process). Imports stay inside the
callables so the cold figure includes what a fresh app process pays to load the page's modules.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from cxdash.bench import closedloop, gaps  # their page functions import their modules lazily
from cxdash.filters import Filters
from cxdash.schema import survey_response

PageData = Callable[[Engine, Filters], Any]


def overview_page(engine: Engine, filters: Filters) -> Any:
    """The executive overview: KPI cards (with previous period and targets), monthly trends, worst touchpoints."""
    from cxdash.metrics.overview import overview, overview_trends, worst_touchpoints

    return overview(engine, filters), overview_trends(engine, filters), worst_touchpoints(engine, filters, "en")


def _view(module: str, name: str) -> PageData:
    """The view ``cxdash.views.<module>.<name>``, imported at its first call (the cold figure includes that)."""
    def run(engine: Engine, filters: Filters) -> Any:
        return getattr(importlib.import_module(f"cxdash.views.{module}"), name)(engine, filters)

    return run


PAGES: dict[str, PageData] = {
    "overview": overview_page,
    "service": _view("service", "service_view"),
    "tiers": gaps.tiers_page,
    "touchpoints": gaps.touchpoints_page,
    "touchpoints_drilldown": gaps.drilldown_site,
    "inspections": closedloop.inspections_page,
    "action_plans": closedloop.action_plans_page,
    "loyalty": _view("loyalty", "loyalty_view"),
    "loyalty_breakdowns": _view("loyalty", "breakdowns_view"),
    "loyalty_effort": _view("loyalty", "effort_view"),
    "loyalty_failures": _view("loyalty", "failures_view"),
    "drivers": _view("drivers", "drivers_view"),
    "voice": _view("voice", "voice_view"),
}


def bench_filters(engine: Engine, days: int = 365) -> Filters:
    """The view the benchmark times: the last ``days`` days up to the latest visit (so a previous period exists)."""
    with engine.connect() as conn:
        end = conn.execute(select(func.max(survey_response.c.visit_date))).scalar()
    if end is None:
        return Filters()
    return Filters(date_from=end - timedelta(days=days - 1), date_to=end)
