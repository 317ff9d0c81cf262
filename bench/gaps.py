"""Benchmarks of the experience pages: the tiers page, the touchpoint-gaps page (gap table with importance,
journey map and matrix), and a drill-down to one site's responses.

Each function runs what its page computes for one default view, without Streamlit or its cache, and is
registered in :data:`bench.pages.PAGES`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from cxdash.filters import Filters


def tiers_page(engine: Engine, filters: Filters) -> Any:
    """Tolerance, monthly tier trend, breakdown by site, chi-square against the previous period and for the
    first site against the rest, and what each tier is worth."""
    from cxdash.metrics.tier_analysis import compare_group, compare_previous, tier_breakdown, tier_trend
    from cxdash.metrics.tier_settings import tolerance_setting
    from cxdash.metrics.tier_value import tier_value

    breakdown = tier_breakdown(engine, filters, "site")
    first = breakdown["key"].dropna()
    group = compare_group(engine, filters, "site", int(first.iloc[0])) if not first.empty else None
    return (tolerance_setting(engine), tier_trend(engine, filters), breakdown, compare_previous(engine, filters),
            group, tier_value(engine, filters))


def touchpoints_page(engine: Engine, filters: Filters) -> Any:
    """The gap table with importance (it feeds the journey map and the matrix), the charts built from it."""
    from cxdash.charts.gaps import ipa_chart, journey_map
    from cxdash.metrics.gaps import gap_table
    from cxdash.metrics.ipa import ipa_matrix

    table = gap_table(engine, filters)
    points, kind, x_cut, y_cut = ipa_matrix(table)
    return table, journey_map(table, "en").to_dict(), ipa_chart(points, kind, x_cut, y_cut, "en").to_dict()


def _weak_touchpoint(engine: Engine) -> tuple[str, int] | None:
    from cxdash.schema import stage, touchpoint

    stmt = select(stage.c.code, touchpoint.c.id).join(stage, stage.c.id == touchpoint.c.stage_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt.where(touchpoint.c.code == "CON02")).first() or conn.execute(
            stmt.order_by(touchpoint.c.id).limit(1)).first()
    return (str(rows[0]), int(rows[1])) if rows else None


def drilldown_site(engine: Engine, filters: Filters) -> Any:
    """Drill from a touchpoint (CON02 in the demo) to the sites of its busiest region and one site's responses:
    the site level table and the first page of that site's response list."""
    from cxdash.metrics.drilldown import DrillState, level_table
    from cxdash.metrics.response_list import response_list
    from cxdash.schema import survey_response

    weak = _weak_touchpoint(engine)
    if weak is None:
        return None
    with engine.connect() as conn:
        site_row = conn.execute(select(survey_response.c.region_id, survey_response.c.site_id)
                                .where(survey_response.c.site_id == select(func.min(survey_response.c.site_id))
                                       .scalar_subquery()).limit(1)).first()
    if site_row is None:
        return None
    state = DrillState(stage=weak[0], touchpoint=weak[1], region=int(site_row[0]))
    sites = level_table(engine, filters, state)
    responses = response_list(engine, filters, DrillState(stage=weak[0], touchpoint=weak[1], region=int(site_row[0]),
                                                          site=int(site_row[1])))
    return sites, responses
