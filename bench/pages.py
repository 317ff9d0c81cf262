"""The pages the benchmark times: a registry of name -> ``callable(engine, filters)`` calling the page's view.

Each callable calls the view function its page renders (:mod:`cxdash.views`) for the page's default view and
returns its result, so the benchmark times exactly what the page computes, without Streamlit or its cache. Add a
page with one line in :data:`PAGES`; ``python -m bench`` then times it cold (first call in a fresh process)
and warm (second call in that process). Imports stay inside the callables so the cold figure includes what a
fresh app process pays to load the page's modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from cxdash.filters import Filters
from cxdash.schema import stage, survey_response, touchpoint, touchpoint_score

if TYPE_CHECKING:  # loaded inside the drill, so its cold time pays for it
    from cxdash.metrics.experience.drilldown import DrillState

PageData = Callable[[Engine, Filters], Any]


def overview_page(engine: Engine, filters: Filters) -> Any:
    """The executive overview: KPI cards (with previous period and targets), monthly trends, worst touchpoints."""
    from cxdash.views.overview import overview_view

    return overview_view(engine, filters)


def tiers_page(engine: Engine, filters: Filters) -> Any:
    """The tiers page: tolerance, monthly tier trend, breakdown by site, chi-square against the previous period
    and for the first site against the rest, and what each tier is worth."""
    from cxdash.views.tiers import tiers_view

    return tiers_view(engine, filters)


def touchpoints_page(engine: Engine, filters: Filters) -> Any:
    """The touchpoints page's first tab: the gap table with importance behind the journey map."""
    from cxdash.views.touchpoints import touchpoints_view

    return touchpoints_view(engine, filters)


def drill_path(engine: Engine) -> tuple[DrillState, DrillState] | None:
    """The benchmark's drill: from a touchpoint (CON02 in the demo) to the sites of the region of the lowest site id,
    and down that site's first team and person answering the touchpoint to their responses (to the site's teams
    when nobody there answered it). None without touchpoints or sites."""
    from cxdash.metrics.experience.drilldown import DrillState  # the drill's cold time includes loading it

    tps = select(stage.c.code, touchpoint.c.id).join(stage, stage.c.id == touchpoint.c.stage_id)
    sr = survey_response.c
    with engine.connect() as conn:
        tp = conn.execute(tps.where(touchpoint.c.code == "CON02")).first() or conn.execute(
            tps.order_by(touchpoint.c.id).limit(1)).first()
        where = sr.site_id == select(func.min(sr.site_id)).scalar_subquery()
        site = conn.execute(select(sr.region_id, sr.site_id).where(where).limit(1)).first()
        if tp is None or site is None:
            return None
        person = conn.execute(
            select(sr.team_id, sr.person_id).join(touchpoint_score, touchpoint_score.c.response_id == sr.id)
            .where(where, touchpoint_score.c.touchpoint_id == tp[1], sr.team_id.is_not(None), sr.person_id.is_not(None))
            .order_by(sr.team_id, sr.person_id).limit(1)).first()
    region = DrillState(stage=str(tp[0]), touchpoint=int(tp[1]), region=int(site[0]))
    below = replace(region, site=int(site[1]))
    if person is not None:
        below = replace(below, team=int(person[0]), person=int(person[1]))
    return region, below


def touchpoints_drilldown(engine: Engine, filters: Filters) -> Any:
    """The drill-down view at the two states of :func:`drill_path`: the region's sites, and the responses of one
    of its people (a click on the map, then down the organisation)."""
    from cxdash.views.touchpoints import drilldown_view

    path = drill_path(engine)
    if path is None:
        return None
    return tuple(drilldown_view(engine, filters, state=state) for state in path)


def service_page(engine: Engine, filters: Filters) -> Any:
    """The service page's first tab (cards, compliance trend, time percentiles, breakdown by priority, backlog)
    plus the early warnings and the category Pareto, as the benchmark timed the page before its views existed."""
    from cxdash.views.service import recurring_view, service_view, warning_view

    return service_view(engine, filters), warning_view(engine, filters), recurring_view(engine, filters)


def inspections_page(engine: Engine, filters: Filters) -> Any:
    """The inspections page: weak items with the site correlation, and the heat map."""
    from cxdash.views.inspections import heatmap_view, inspections_view

    return inspections_view(engine, filters), heatmap_view(engine, filters)


def action_plans_page(engine: Engine, filters: Filters) -> Any:
    """The action plans page's board."""
    from cxdash.views.action_plans import action_plans_view

    return action_plans_view(engine, filters)


def loyalty_page(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's first view: cards and trend."""
    from cxdash.views.loyalty import loyalty_view

    return loyalty_view(engine, filters)


def loyalty_breakdowns(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's breakdowns view."""
    from cxdash.views.loyalty import breakdowns_view

    return breakdowns_view(engine, filters)


def loyalty_effort(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's effort view."""
    from cxdash.views.loyalty import effort_view

    return effort_view(engine, filters)


def loyalty_failures(engine: Engine, filters: Filters) -> Any:
    """The loyalty page's service-failures view."""
    from cxdash.views.loyalty import failures_view

    return failures_view(engine, filters)


def drivers_page(engine: Engine, filters: Filters) -> Any:
    """The drivers page: key drivers and the churn part."""
    from cxdash.views.drivers import drivers_view

    return drivers_view(engine, filters)


def voice_page(engine: Engine, filters: Filters) -> Any:
    """The voice page's themes."""
    from cxdash.views.voice import voice_view

    return voice_view(engine, filters)


def cases_page(engine: Engine, filters: Filters) -> Any:
    """The follow-up case page: its measures (cards and table), the first page of the case list (overdue first),
    the filters' choices (:func:`cxdash.views.cases.cases_view`)."""
    from cxdash.views.cases import cases_view

    return cases_view(engine, filters)


def report_cases(engine: Engine, filters: Filters) -> Any:
    """``python -m cxdash report cases`` as its command runs it (:func:`cxdash.commands.followup.run`): the case
    view with a one-row list, its measures printed as CSV (into a buffer instead of the terminal)."""
    import io

    from cxdash.commands.common import frame_rows, print_rows
    from cxdash.commands.followup import CASE_LIMIT  # noqa: F401 - the command's module loads as it does for the CLI
    from cxdash.views.cases import cases_view

    view = cases_view(engine, filters, limit=1)
    out = io.StringIO()
    print_rows(frame_rows(view.table), "csv", out)
    return out.getvalue()


PAGES: dict[str, PageData] = {
    "overview": overview_page,
    "service": service_page,
    "tiers": tiers_page,
    "touchpoints": touchpoints_page,
    "touchpoints_drilldown": touchpoints_drilldown,
    "inspections": inspections_page,
    "action_plans": action_plans_page,
    "loyalty": loyalty_page,
    "loyalty_breakdowns": loyalty_breakdowns,
    "loyalty_effort": loyalty_effort,
    "loyalty_failures": loyalty_failures,
    "drivers": drivers_page,
    "voice": voice_page,
    "cases": cases_page,
    "report_cases": report_cases,
}


def bench_filters(engine: Engine, days: int = 365) -> Filters:
    """The view the benchmark times: the last ``days`` days up to the latest visit (so a previous period exists)."""
    with engine.connect() as conn:
        end = conn.execute(select(func.max(survey_response.c.visit_date))).scalar()
    if end is None:
        return Filters()
    return Filters(date_from=end - timedelta(days=days - 1), date_to=end)
