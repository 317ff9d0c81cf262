"""Which cases a page, a card or a report looks at: the global filters (dates on the opening time, region, site,
team, the user's scope) and the case page's own choices (status, touchpoint, rule, severity), as SQL conditions.

Overdue and due soon are judged against ``now`` (naive UTC): a case is **overdue** when it is still new (nobody
reached the customer) after its due time, **due soon** when it is new and due within :data:`DUE_SOON`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, or_, true

from cxdash.domain.followup import NEW, OPEN_STATUSES, SEVERITIES
from cxdash.domain.periods import time_conditions
from cxdash.filters import Filters, org_conditions
from cxdash.schema.followup import followup_case

fc = followup_case.c
DUE_SOON = timedelta(hours=24)


@dataclass(frozen=True)
class CaseSelection:
    """The case page's own filters (empty means all) and whether open cases opened before the date range are
    listed too (``open_always``: a case does not leave the list by getting old)."""

    statuses: tuple[str, ...] = ()
    site_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()
    touchpoint_ids: tuple[int, ...] = ()
    rule_ids: tuple[int, ...] = ()
    severities: tuple[str, ...] = ()
    open_always: bool = True


def unit_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    """The organisation filters and the row-level scope of ``filters`` on cases (dates left out)."""
    return org_conditions(filters, followup_case)


def opened_in(filters: Filters) -> ColumnElement[bool]:
    """Cases opened on the days of the filters' date range (true without a range)."""
    return and_(true(), *time_conditions(fc.opened_at, filters.date_from, filters.date_to))


def selection_conditions(filters: Filters, sel: CaseSelection) -> list[ColumnElement[bool]]:
    """Everything the case list filters on: units and scope, dates (or open), and the page's choices."""
    conds = unit_conditions(filters)
    dated = opened_in(filters)
    conds.append(or_(dated, fc.status.in_(OPEN_STATUSES)) if sel.open_always else dated)
    for col, values in ((fc.status, sel.statuses), (fc.site_id, sel.site_ids), (fc.team_id, sel.team_ids),
                        (fc.touchpoint_id, sel.touchpoint_ids), (fc.rule_id, sel.rule_ids),
                        (fc.severity, sel.severities)):
        if values:
            conds.append(col.in_(tuple(values)))
    return conds


def overdue_expr(now: datetime) -> ColumnElement[bool]:
    """A case still new after its due time."""
    return and_(fc.status == NEW, fc.due_at < now)


def due_soon_expr(now: datetime) -> ColumnElement[bool]:
    """A new case due within :data:`DUE_SOON` from ``now``."""
    return and_(fc.status == NEW, fc.due_at >= now, fc.due_at < now + DUE_SOON)


def urgency_expr(now: datetime) -> ColumnElement[Any]:
    """The list's first sort key: 0 overdue, 1 due soon, 2 other open cases, 3 closed cases."""
    return case((overdue_expr(now), 0), (due_soon_expr(now), 1), (fc.status.in_(OPEN_STATUSES), 2), else_=3)


def severity_rank() -> ColumnElement[Any]:
    """0 for the most severe (high), rising with lower severities; unknown codes last."""
    return case(*((fc.severity == s, i) for i, s in enumerate(reversed(SEVERITIES))), else_=len(SEVERITIES))
