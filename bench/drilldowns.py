"""One drill-down per benchmark page: what a click on the page's figures loads next.

:data:`DRILLDOWNS` maps a page name of :data:`bench.pages.PAGES` to ``callable(engine, filters)``. A
``DRILLDOWNS`` dict in :mod:`bench.pages` (if the registry grows one) takes precedence, so the page
owners can name their own. Pages without an entry report no drill-down time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from bench import pages as registry
from cxdash.filters import Filters


def service_drilldown(engine: Engine, filters: Filters) -> Any:
    """The first page of the tickets behind the resolution-breach figure of the busiest priority ("normal")."""
    from cxdash.domain.service_sql import utcnow
    from cxdash.metrics.service.lists import Drill, ticket_list

    now = utcnow().replace(second=0, microsecond=0)
    return ticket_list(engine, filters, Drill(group="priority", key="normal", outcome="res_breached"), now, 50, 0)


def cases_drilldown(engine: Engine, filters: Filters) -> Any:
    """A case near the top of the list (the new case due first, as a click on the list opens it) in full: its
    response, the customer's history, the touchpoint gap of its site, and the step forms' choices."""
    from sqlalchemy import func, select

    from cxdash.schema.followup import followup_case
    from cxdash.views.cases import case_detail_view

    fc = followup_case.c
    with engine.connect() as conn:  # the list is on screen already: only its first id is looked up
        case_id = conn.execute(select(fc.id).where(fc.status == "new").order_by(fc.due_at).limit(1)).scalar()
        if case_id is None:  # no new case: any case
            case_id = conn.execute(select(func.min(fc.id))).scalar()
    return None if case_id is None else case_detail_view(engine, filters, case_id=int(case_id))


DRILLDOWNS: dict[str, registry.PageData] = {
    "service": service_drilldown,
    "touchpoints": registry.touchpoints_drilldown,
    "cases": cases_drilldown,
    **getattr(registry, "DRILLDOWNS", {}),
}


def drilldown_for(page: str) -> registry.PageData | None:
    """The drill-down of ``page``, or None when it has none."""
    return DRILLDOWNS.get(page)
