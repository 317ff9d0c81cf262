"""Benchmark views of the Improve section: the inspections page and the action-plan page, as their views compute
them (:mod:`cxdash.views.inspections`, :mod:`cxdash.views.action_plans`); the registry will call the views
directly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from cxdash.filters import Filters


def inspections_page(engine: Engine, filters: Filters) -> Any:
    """The inspections page's first view: :func:`cxdash.views.inspections.inspections_view`."""
    # cold timing: the page's modules load inside the call
    from cxdash.views.inspections import inspections_view

    return inspections_view(engine, filters)


def action_plans_page(engine: Engine, filters: Filters) -> Any:
    """The action-plan page's first view (the board): :func:`cxdash.views.action_plans.action_plans_view`."""
    # cold timing: the page's modules load inside the call
    from cxdash.views.action_plans import action_plans_view

    return action_plans_view(engine, filters)
