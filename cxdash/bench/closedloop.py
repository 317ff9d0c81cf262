"""Benchmark views of the Improve section: the inspections page and the action-plan page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from cxdash.filters import Filters


def inspections_page(engine: Engine, filters: Filters) -> Any:
    """The inspections page's first view: weak items (with gaps and importance) and the site correlation."""
    from cxdash.metrics.weak_items import site_correlation, weak_items

    return weak_items(engine, filters, "en"), site_correlation(engine, filters)


def inspections_heatmap(engine: Engine, filters: Filters) -> Any:
    """The inspections page's heat-map view: every site's latest score per touchpoint (the page never computes it
    with the first view)."""
    from cxdash.inspections.results import heatmap

    return heatmap(engine, filters, "en")


def action_plans_page(engine: Engine, filters: Filters) -> Any:
    """The plan counts and the board with every plan's measured effect."""
    from cxdash.metrics.actions import plan_board, plan_counts

    return plan_counts(engine, filters), plan_board(engine, filters, "en")
