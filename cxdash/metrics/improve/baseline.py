"""The baseline a new plan starts from: the current gap of its touchpoint, or the current inspection score.

A plan made from a weak inspection item starts from the item's mean score (0-10) in the plan's scope; a plan made
from a touchpoint gap or a service problem starts from the touchpoint's mean gap (P - E on the 0-1 scale), the
figure its effect is measured on. "Current" means the ``days`` before ``on``; with no data there, all earlier data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from cxdash.domain.periods import day_conditions
from cxdash.filters import Filters
from cxdash.improve.plan_access import filters_scope, unit_in_scope
from cxdash.metrics.improve.effect import gap_sums
from cxdash.schema import inspection, team

WINDOW_DAYS = 90


@dataclass(frozen=True)
class Baseline:
    """A prefilled baseline: its value (None without data), the kind ("gap" or "score") and the data behind it."""

    value: float | None
    kind: str
    n: int
    date_from: date | None
    date_to: date


def _score(conn: Connection, item_id: int, site_id: int | None, lo: date | None, hi: date) -> tuple[int, float | None]:
    conds = [inspection.c.item_id == item_id, *day_conditions(inspection.c.inspected_on, lo, hi)]
    if site_id is not None:
        conds.append(inspection.c.site_id == site_id)
    n, mean = conn.execute(select(func.count(), func.avg(inspection.c.score)).where(*conds)).one()
    return int(n or 0), None if mean is None else float(mean)


def baseline_for(
    engine: Engine,
    touchpoint_id: int,
    source_kind: str = "gap",
    site_id: int | None = None,
    team_id: int | None = None,
    checklist_item_id: int | None = None,
    on: date | None = None,
    days: int = WINDOW_DAYS,
    filters: Filters | None = None,
) -> Baseline:
    """The current score (weak items) or gap (gaps, service problems) of a plan's touchpoint in its scope.

    With ``filters`` carrying a team lead's scope, a site or team outside it (or no site: brand-wide) has no
    baseline (value None, n 0): the figure would be made of other teams' rows.
    """
    hi = on or date.today()
    lo: date | None = hi - timedelta(days=days)
    kind = "score" if source_kind == "weak_item" and checklist_item_id is not None else "gap"
    with engine.connect() as conn:
        if not unit_in_scope(conn, *filters_scope(filters), site_id, team_id):
            return Baseline(None, kind, 0, lo, hi)
        if team_id is not None and site_id is None:
            site_id = conn.execute(select(team.c.site_id).where(team.c.id == team_id)).scalar()
        if source_kind == "weak_item" and checklist_item_id is not None:
            n, mean = _score(conn, checklist_item_id, site_id, lo, hi)
            if n == 0:
                lo = None
                n, mean = _score(conn, checklist_item_id, site_id, lo, hi)
            return Baseline(mean, "score", n, lo, hi)
        n, s, _ss = gap_sums(conn, touchpoint_id, site_id, team_id, lo, hi)
        if n == 0:
            lo = None
            n, s, _ss = gap_sums(conn, touchpoint_id, site_id, team_id, lo, hi)
    return Baseline(s / n if n else None, "gap", n, lo, hi)
