"""Benchmark views of the Improve section: the inspections page and the action-plan page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from cxdash.filters import Filters


def inspections_page(engine: Engine, filters: Filters) -> Any:
    """Weak items (with gaps and importance), the site correlation and the heat map."""
    from cxdash.inspections.results import heatmap
    from cxdash.metrics.weak_items import site_correlation, weak_items

    return weak_items(engine, filters, "en"), site_correlation(engine, filters), heatmap(engine, filters, "en")


def action_plans_page(engine: Engine, filters: Filters) -> Any:
    """The plan counts and the board with every plan's measured effect."""
    from cxdash.metrics.actions import plan_board, plan_counts

    return plan_counts(engine, filters), plan_board(engine, filters, "en")
