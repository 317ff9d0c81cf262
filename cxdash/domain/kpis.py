"""The overview's KPIs as codes: which exist, in which unit, which way is better, and when a target is met.

The KPI cards (:mod:`cxdash.metrics.overview.kpi_cards`), the targets they are held against (:mod:`cxdash.targets` writes
them, :mod:`cxdash.metrics.targets` looks them up) and the pages all name a KPI by one of :data:`KPI_CODES`. For
:data:`LOWER_IS_BETTER` KPIs a target is met when the value is at or below it, for all others at or above it.
"""

from __future__ import annotations

KPI_CODES = (
    "nps", "csat", "ces", "ces_easy", "share_disappointed", "share_basic", "share_delighted", "share_none",
    "effort_multiple_contacts", "effort_transferred", "effort_repeated_story",
    "sla_first_response", "sla_resolution", "ftf", "churn", "plans_open", "plans_overdue", "plans_improved",
)
LOWER_IS_BETTER = frozenset({
    "share_disappointed", "share_none", "effort_multiple_contacts", "effort_transferred", "effort_repeated_story",
    "churn", "plans_open", "plans_overdue",
})
# Units: NPS points (-100..100), a share (0-1), a mean on the 1-7 CES scale, a count.
POINTS, SHARE, SCALE, COUNT = "points", "share", "scale", "count"


def target_met(kpi: str, value: float | None, target: float | None) -> bool | None:
    """Whether ``value`` meets ``target`` (direction by :data:`LOWER_IS_BETTER`); None when either is missing."""
    if value is None or target is None:
        return None
    return value <= target if kpi in LOWER_IS_BETTER else value >= target
